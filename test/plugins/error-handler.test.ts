/**
 * Every 4xx and 5xx has the shape {"error": {"code", "message", "details"?}};
 * a 5xx tells the client nothing about the inside; the log gets everything,
 * tagged with the request id that the response also carries.
 */
import { Writable } from "node:stream";
import { Type } from "typebox";
import { describe, expect, it } from "vitest";
import { codeFor } from "../../server/plugins/error-handler.js";
import { HttpError } from "../../server/http/http-error.js";
import { buildTestApp } from "../helpers/build-app.js";

/** A pino destination that keeps the parsed JSON lines. */
function logCapture(): { stream: Writable; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { stream, lines };
}

describe("the error handler", () => {
  it("answers an unknown route with 404 NOT_FOUND in the error shape", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "GET", url: "/api/nothing-here" });

    expect(response.statusCode).toBe(404);
    expect(response.json()).toEqual({ error: { code: "NOT_FOUND", message: "Route GET /api/nothing-here not found" } });
  });

  it("turns an unexpected error into a bare 500: no message, no stack", async () => {
    const app = await buildTestApp();
    app.get("/explode", async () => {
      throw new Error("SQLITE_CORRUPT at /srv/secret/cnlab.db");
    });
    const response = await app.inject({ method: "GET", url: "/explode" });

    expect(response.statusCode).toBe(500);
    expect(response.json()).toEqual({ error: { code: "INTERNAL_SERVER_ERROR", message: "Internal Server Error" } });
    expect(response.body).not.toMatch(/SQLITE|secret|\bat\b|stack/);
  });

  it("hides the message of a non-HttpError 5xx too, keeping its status", async () => {
    const app = await buildTestApp();
    app.get("/gateway", async () => {
      throw Object.assign(new Error("upstream 10.0.0.7 refused"), { statusCode: 502 });
    });
    const response = await app.inject({ method: "GET", url: "/gateway" });

    expect(response.statusCode).toBe(502);
    expect(response.json()).toEqual({ error: { code: "BAD_GATEWAY", message: "Bad Gateway" } });
  });

  it("sends an HttpError's own code, message and details", async () => {
    const app = await buildTestApp();
    app.get("/conflict", async () => {
      throw new HttpError(409, "SESSION_BUSY", "The session is running a command", { sessionId: "s1" });
    });
    const response = await app.inject({ method: "GET", url: "/conflict" });

    expect(response.statusCode).toBe(409);
    expect(response.json()).toEqual({ error: { code: "SESSION_BUSY", message: "The session is running a command", details: { sessionId: "s1" } } });
  });

  it("answers a body that fails its schema with 400 VALIDATION_ERROR listing where", async () => {
    const app = await buildTestApp();
    app.post("/echo", { schema: { body: Type.Object({ command: Type.String({ minLength: 1 }) }) } }, async (request) => request.body);
    const response = await app.inject({ method: "POST", url: "/echo", payload: { command: "" } });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({
      error: {
        code: "VALIDATION_ERROR",
        message: "body/command must NOT have fewer than 1 characters",
        details: [{ in: "body", path: "/command", message: "must NOT have fewer than 1 characters" }],
      },
    });
  });

  it("answers malformed JSON and an unsupported media type in the same shape", async () => {
    const app = await buildTestApp();
    app.post("/echo", async (request) => request.body);

    const badJson = await app.inject({ method: "POST", url: "/echo", headers: { "content-type": "application/json" }, payload: "{nope" });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.json<{ error: { code: string } }>().error.code).toBe("BAD_REQUEST");

    const badType = await app.inject({ method: "POST", url: "/echo", headers: { "content-type": "application/x-cnlab" }, payload: "x" });
    expect(badType.statusCode).toBe(415);
    expect(badType.json<{ error: { code: string } }>().error.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("logs the whole error as JSON with the request id the response carries", async () => {
    const { stream, lines } = logCapture();
    const app = await buildTestApp({ logger: { level: "info", stream } });
    app.get("/explode", async () => {
      throw new Error("disk on fire");
    });
    const response = await app.inject({ method: "GET", url: "/explode" });

    const requestId = response.headers["x-request-id"];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const errorLine = lines.find((line) => line["level"] === 50);
    expect(errorLine).toMatchObject({ reqId: requestId, err: { message: "disk on fire", stack: expect.stringContaining("Error: disk on fire") } });
  });

  it("keeps a caller's sane X-Request-Id and replaces one that is not", async () => {
    const app = await buildTestApp();
    const kept = await app.inject({ method: "GET", url: "/health", headers: { "x-request-id": "trace-42" } });
    expect(kept.headers["x-request-id"]).toBe("trace-42");
    const replaced = await app.inject({ method: "GET", url: "/health", headers: { "x-request-id": "bad id\twith spaces" } });
    expect(replaced.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("codeFor", () => {
  it("derives UPPER_SNAKE codes from the status reason", () => {
    expect([400, 404, 413, 415, 500, 503].map(codeFor)).toEqual([
      "BAD_REQUEST",
      "NOT_FOUND",
      "PAYLOAD_TOO_LARGE",
      "UNSUPPORTED_MEDIA_TYPE",
      "INTERNAL_SERVER_ERROR",
      "SERVICE_UNAVAILABLE",
    ]);
  });
});
