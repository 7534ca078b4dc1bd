/**
 * The error shape holds for what app.inject cannot show: requests Node's HTTP
 * parser refuses before Fastify sees them (huge headers, bytes that are not
 * HTTP), and bodies refused by their media type or by the JSON parser. Each
 * goes over a real socket to a listening app.
 */
import { request } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import type { App } from "../../server/app.js";
import { bearer, buildTestApp, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

async function listening(): Promise<{ app: App; port: number }> {
  const app = await buildTestApp();
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("not listening on TCP");
  return { app, port: address.port };
}

/** Writes `text` as it is and reads the answer until the server closes the connection. */
function rawExchange(port: number, text: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(text));
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    // The server may close while the client still writes: what came back is what counts.
    socket.on("error", () => undefined);
    socket.on("close", () => {
      const raw = Buffer.concat(chunks).toString();
      const [head = "", body = ""] = raw.split("\r\n\r\n");
      const [statusLine = "", ...headerLines] = head.split("\r\n");
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
      if (Number.isNaN(status)) return reject(new Error(`no HTTP answer: ${JSON.stringify(raw)}`));
      const headers = Object.fromEntries(headerLines.map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]));
      resolve({ status, headers, body: JSON.parse(body) });
    });
  });
}

/** A POST through node:http, with exactly the headers given (none added for the body). */
function post(port: number, path: string, headers: Record<string, string>, body: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "POST", headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers as Record<string, string>, body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("requests Node's parser refuses", () => {
  it("answers headers over Node's limit with 431 HEADERS_TOO_LARGE in the error shape", async () => {
    const { port } = await listening();
    const answer = await rawExchange(port, `GET /health HTTP/1.1\r\nHost: cnlab\r\nX-Padding: ${"a".repeat(20_000)}\r\n\r\n`);

    expect(answer.status).toBe(431);
    expect(answer.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(answer.body).toEqual({
      error: { code: "HEADERS_TOO_LARGE", message: "The request's headers are larger than the 16 KiB the server accepts", details: { limit: 16384 } },
    });
  });

  it("answers bytes that are not HTTP with 400 BAD_REQUEST in the error shape", async () => {
    const { port } = await listening();
    const answer = await rawExchange(port, "HELLO THERE\r\n\r\n");

    expect(answer.status).toBe(400);
    expect(answer.body).toEqual({ error: { code: "BAD_REQUEST", message: "The request is not valid HTTP" } });
  });
});

describe("bodies refused before a handler runs", () => {
  const auth = bearer(TEST_INSTRUCTOR_TOKEN);
  const labBody = JSON.stringify({ labId: "host-network" });

  it.each([
    ["text/html", 'Content-Type "text/html"'],
    ["garbage", 'Content-Type "garbage"'],
    ["text/plain", 'Content-Type "text/plain"'],
  ])("answers a %s body with 415 UNSUPPORTED_MEDIA_TYPE listing what the route takes", async (contentType, named) => {
    const { port } = await listening();
    const answer = await post(port, "/api/sessions", { ...auth, "content-type": contentType }, labBody);

    expect(answer.status).toBe(415);
    expect(answer.body).toEqual({
      error: { code: "UNSUPPORTED_MEDIA_TYPE", message: `The body came with ${named}; this route takes application/json`, details: { accepted: ["application/json"] } },
    });
  });

  it("answers a body without a Content-Type the same way", async () => {
    const { port } = await listening();
    const answer = await post(port, "/api/sessions", auth, labBody);
    expect(answer.status).toBe(415);
    expect(answer.body).toMatchObject({ error: { code: "UNSUPPORTED_MEDIA_TYPE", message: "The body came with no Content-Type; this route takes application/json" } });
  });

  it("names a __proto__ key, or a constructor holding prototype, instead of calling the JSON invalid", async () => {
    const { port } = await listening();
    const json = { ...auth, "content-type": "application/json" };

    const proto = await post(port, "/api/sessions", json, '{"labId": "host-network", "__proto__": {"role": "instructor"}}');
    expect(proto.status).toBe(400);
    expect(proto.body).toEqual({
      error: {
        code: "FORBIDDEN_JSON_KEY",
        message: 'The JSON body has a "__proto__" key, which is not allowed (it could rewrite object prototypes): rename or remove it',
        details: { key: "__proto__" },
      },
    });

    const escaped = await post(port, "/api/sessions", json, '{"labId": "host-network", "\\u005f_proto__": {}}');
    expect(escaped.body).toMatchObject({ error: { code: "FORBIDDEN_JSON_KEY", details: { key: "__proto__" } } });

    const constructor = await post(port, "/api/sessions", json, '{"labId": "host-network", "constructor": {"prototype": {"role": "instructor"}}}');
    expect(constructor.status).toBe(400);
    expect(constructor.body).toMatchObject({ error: { code: "FORBIDDEN_JSON_KEY", details: { key: "constructor" } } });

    // Broken JSON is still just that; a good body still goes through.
    const broken = await post(port, "/api/sessions", json, '{"labId": ');
    expect(broken.body).toEqual({ error: { code: "BAD_REQUEST", message: "Body is not valid JSON but content-type is set to 'application/json'" } });
    expect((await post(port, "/api/sessions", json, labBody)).status).toBe(201);
  });
});
