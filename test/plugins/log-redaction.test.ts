/**
 * Tokens never reach the logs: not from `?access_token=` (how a browser's
 * WebSocket sends its token), not from any other secret-looking query
 * parameter, not from an Authorization header, whatever logs it.
 */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { redactUrl } from "../../server/http/log-redaction.js";
import { bearer, buildTestApp } from "../helpers/build-app.js";

/** A pino destination that keeps the raw text and the parsed lines. */
function logCapture(): { stream: Writable; text: () => string; lines: Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, text: () => chunks.join(""), lines };
}

const SECRET = "cnlab_SECRET-in-the-query-0000000000";
const HEADER_SECRET = "cnlab_SECRET-in-the-header-000000000";

describe("request logs", () => {
  it("log the URL with ?access_token= redacted, the other parameters as sent", async () => {
    const log = logCapture();
    const app = await buildTestApp({ logger: { level: "info", stream: log.stream } });
    await app.inject({ method: "GET", url: `/api/sessions/00000000-0000-4000-8000-000000000000/trace?fromSeq=4&access_token=${SECRET}&kinds=arp` });

    expect(log.text()).not.toContain(SECRET);
    const urls = log.lines.map((line) => (line["req"] as { url?: string } | undefined)?.url).filter((url) => url !== undefined);
    expect(urls).toEqual(["/api/sessions/00000000-0000-4000-8000-000000000000/trace?fromSeq=4&access_token=[REDACTED]&kinds=arp"]);
  });

  it("never log an Authorization header, not even from code that logs the headers object", async () => {
    const log = logCapture();
    const app = await buildTestApp({ logger: { level: "info", stream: log.stream } });
    app.get("/log-headers", async (request) => {
      request.log.info({ headers: request.headers }, "headers at the top");
      request.log.info({ request: { headers: request.headers } }, "headers one level down");
      return { ok: true };
    });
    await app.inject({ method: "GET", url: "/log-headers", headers: bearer(HEADER_SECRET) });
    await app.inject({ method: "GET", url: "/api/sessions", headers: bearer(HEADER_SECRET) });

    expect(log.text()).not.toContain(HEADER_SECRET);
    const top = log.lines.find((line) => line["msg"] === "headers at the top");
    const nested = log.lines.find((line) => line["msg"] === "headers one level down");
    expect(top?.["headers"]).toMatchObject({ authorization: "[REDACTED]" });
    expect(nested?.["request"]).toMatchObject({ headers: { authorization: "[REDACTED]" } });
  });

  it("keep secrets out of a 404's message as well", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "GET", url: `/api/nowhere?token=${SECRET}` });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: "NOT_FOUND", message: "Route GET /api/nowhere?token=[REDACTED] not found" } });
  });
});

describe("redactUrl", () => {
  it.each([
    ["/api/labs", "/api/labs"],
    ["/api/sessions?labId=calico&ownerId=u1", "/api/sessions?labId=calico&ownerId=u1"],
    ["/trace?access_token=abc", "/trace?access_token=[REDACTED]"],
    ["/trace?%61ccess_token=abc&fromSeq=1", "/trace?%61ccess_token=[REDACTED]&fromSeq=1"],
    ["/x?token=a&api_key=b&apiKey=c&password=d&client_secret=e&sig=f", "/x?token=[REDACTED]&api_key=[REDACTED]&apiKey=[REDACTED]&password=[REDACTED]&client_secret=[REDACTED]&sig=f"],
    ["/x?access_token", "/x?access_token=[REDACTED]"],
    ["/x?access_token=a=b&%zz=1", "/x?access_token=[REDACTED]&%zz=1"],
  ])("%s → %s", (url, redacted) => {
    expect(redactUrl(url)).toBe(redacted);
  });
});
