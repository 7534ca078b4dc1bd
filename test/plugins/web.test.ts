/**
 * The web page's plugin: built files with long caching for hashed assets,
 * their precompressed twins, index.html for the page's own routes (a reload
 * of /labs/x), the API's JSON 404 for unknown /api paths, and a clear 503
 * when the page was never built.
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { gzipSync } from "node:zlib";
import Fastify from "fastify";
import { describe, expect, it } from "vitest";
import errorHandler from "../../server/plugins/error-handler.js";
import web from "../../server/plugins/web.js";
import { tempDir } from "../helpers/temp-dir.js";

const INDEX = "<!doctype html><title>cnlab</title><div id=app></div>";
const SCRIPT = `console.log(${JSON.stringify("x".repeat(4000))});`;

async function pageApp(built = true) {
  const root = await tempDir("cnlab-web-");
  if (built) {
    await mkdir(path.join(root, "assets"));
    await writeFile(path.join(root, "index.html"), INDEX);
    await writeFile(path.join(root, "favicon.svg"), "<svg/>");
    await writeFile(path.join(root, "assets", "index-AbC123.js"), SCRIPT);
    await writeFile(path.join(root, "assets", "index-AbC123.js.gz"), gzipSync(SCRIPT));
  }
  const app = Fastify({ logger: false });
  await app.register(errorHandler);
  app.get("/api/labs", async () => ({ labs: [] }));
  await app.register(web, { root });
  return app;
}

describe("the web page at /", () => {
  it("answers / and the page's own routes with index.html, never cached", async () => {
    const app = await pageApp();
    for (const url of ["/", "/labs/bridge-two-containers", "/instructor/grading?lab=x"]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(200);
      expect(response.headers["content-type"]).toMatch(/^text\/html/);
      expect(response.headers["cache-control"]).toBe("no-cache");
      expect(response.body).toBe(INDEX);
    }
    await app.close();
  });

  it("sends hashed assets with a year's immutable cache, gzipped for a client that takes gzip", async () => {
    const app = await pageApp();
    const plain = await app.inject({ url: "/assets/index-AbC123.js" });
    expect(plain.statusCode).toBe(200);
    expect(plain.body).toBe(SCRIPT);
    expect(plain.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const gzipped = await app.inject({ url: "/assets/index-AbC123.js", headers: { "accept-encoding": "gzip" } });
    expect(gzipped.headers["content-encoding"]).toBe("gzip");
    expect(gzipped.headers["content-type"]).toMatch(/javascript/);
    expect(gzipped.rawPayload.length).toBeLessThan(SCRIPT.length / 10);
    await app.close();
  });

  it("keeps the API's JSON 404 for unknown /api paths and missing assets", async () => {
    const app = await pageApp();
    expect((await app.inject({ url: "/api/labs" })).json()).toEqual({ labs: [] });
    for (const url of ["/api/nope", "/api", "/assets/missing-123.js"]) {
      const response = await app.inject({ url });
      expect(response.statusCode, url).toBe(404);
      expect(response.json().error.code).toBe("NOT_FOUND");
    }
    expect((await app.inject({ url: "/favicon.svg" })).body).toBe("<svg/>");
    await app.close();
  });

  it("does not serve files outside the built folder", async () => {
    const app = await pageApp();
    const response = await app.inject({ url: "/assets/..%2f..%2fpackage.json" });
    expect(response.statusCode).not.toBe(200);
    await app.close();
  });

  it("says how to build the page when it was never built", async () => {
    const app = await pageApp(false);
    const response = await app.inject({ url: "/" });
    expect(response.statusCode).toBe(503);
    expect(response.json().error).toMatchObject({ code: "WEB_NOT_BUILT" });
    expect(response.json().error.message).toContain("npm run build:web");
    await app.close();
  });
});
