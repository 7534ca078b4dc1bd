/**
 * How many trace streams may be open: per token and per session, refused
 * before the upgrade with 429 TOO_MANY_STREAMS, and counted exactly: every
 * way a connection ends (closed, cut off, a handshake that failed) gives its
 * slot back, and upgrades that arrive together cannot overshoot. Real
 * clients against the real app, except the heartbeat case (an app with the
 * same route over in-memory sessions, so the heartbeat can be fast).
 */
import { request as httpRequest } from "node:http";
import { describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { STREAM_RETRY_AFTER_SECONDS } from "../../server/routes/sessions/trace.js";
import { bearer, startSession, TEST_INSTRUCTOR_TOKEN, type TestAppOptions } from "../helpers/build-app.js";
import { fakeTraceApp } from "../helpers/fake-sessions.js";
import { startLabSession } from "../helpers/lab-session.js";
import { openTraceSocket, type TraceSocket } from "../helpers/trace-socket.js";

interface Refusal {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: { error: { code: string; message: string; details?: unknown } };
}

type Attempt = { ok: true; socket: TraceSocket } | ({ ok: false } & Refusal);

/** Tries to open a trace stream: the socket, or the HTTP answer that refused it. */
async function attempt(url: string, headers: Record<string, string> = {}): Promise<Attempt> {
  try {
    return { ok: true, socket: await openTraceSocket(url, headers) };
  } catch (e) {
    const err = e as Partial<Refusal> & { body?: string };
    if (err.statusCode === undefined) throw e;
    return { ok: false, statusCode: err.statusCode, headers: err.headers ?? {}, body: JSON.parse(err.body ?? "{}") as Refusal["body"] };
  }
}

async function refused(url: string, headers: Record<string, string> = {}): Promise<Refusal> {
  const outcome = await attempt(url, headers);
  if (outcome.ok) throw new Error("the upgrade was accepted");
  const { ok: _, ...refusal } = outcome;
  return refusal;
}

/**
 * Opens a stream once a slot is free: the server sees a connection end a
 * moment after the client does, so a 429 is retried for a while; anything
 * else fails at once. Never accepted means a slot was never given back.
 */
async function acceptedOnceFreed(url: string, headers: Record<string, string> = {}): Promise<TraceSocket> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const outcome = await attempt(url, headers);
    if (outcome.ok) return outcome.socket;
    if (outcome.statusCode !== 429 || Date.now() > deadline) throw new Error(`refused: ${outcome.statusCode} ${JSON.stringify(outcome.body)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A lab session on the real app with the given limits, listening; `url(id, token)` is a session's trace URL. */
async function limitedLab(options: TestAppOptions) {
  const lab = await startLabSession("bridge-two-containers", options);
  const address = await lab.app.listen({ port: 0, host: "127.0.0.1" });
  const url = (id: string, token: string) => `${address.replace("http", "ws")}/api/sessions/${id}/trace?access_token=${token}`;
  return { ...lab, address, url };
}

const tooMany = (scope: "token" | "session", open: number, limit: number) => ({
  statusCode: 429,
  headers: expect.objectContaining({ "retry-after": String(STREAM_RETRY_AFTER_SECONDS) }),
  body: {
    error: {
      code: "TOO_MANY_STREAMS",
      message: `Too many trace streams: this ${scope} has ${open} open, at most ${limit} per ${scope}; close one and retry`,
      details: { scope, limit, open, retryAfterSeconds: STREAM_RETRY_AFTER_SECONDS },
    },
  },
});

describe("trace streams per token (CNLAB_MAX_STREAMS_PER_TOKEN)", () => {
  it("a student opens 3 streams over two sessions; the 4th is refused before the upgrade; closing one lets exactly one more in", async () => {
    const lab = await limitedLab({ maxStreamsPerToken: 3, maxStreamsPerSession: 16 });
    const second = await startSession(lab.app, lab.token);
    const open = [await openTraceSocket(lab.url(lab.id, lab.token)), await openTraceSocket(lab.url(lab.id, lab.token)), await openTraceSocket(lab.url(second, lab.token))];
    await open[0]!.until((m) => m[0]?.type === "hello", "hello");

    expect(await refused(lab.url(second, lab.token))).toEqual(tooMany("token", 3, 3));
    // The limit is the token's: the instructor still gets in on the same session.
    const teacher = await openTraceSocket(lab.url(lab.id, TEST_INSTRUCTOR_TOKEN));
    await teacher.until((m) => m[0]?.type === "hello", "hello");

    open[1]!.ws.close(1000);
    await open[1]!.closed;
    const again = await acceptedOnceFreed(lab.url(second, lab.token));
    await again.until((m) => m[0]?.type === "hello", "hello");
    expect(await refused(lab.url(lab.id, lab.token))).toEqual(tooMany("token", 3, 3));
  });

  it("upgrades that arrive together cannot overshoot: of 8 at once, exactly 3 are accepted", async () => {
    const lab = await limitedLab({ maxStreamsPerToken: 3, maxStreamsPerSession: 16 });
    const outcomes = await Promise.all(Array.from({ length: 8 }, () => attempt(lab.url(lab.id, lab.token))));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(3);
    expect(outcomes.filter((o) => !o.ok).map((o) => (o.ok ? 0 : o.statusCode))).toEqual([429, 429, 429, 429, 429]);
  });
});

describe("trace streams per session (CNLAB_MAX_STREAMS_PER_SESSION)", () => {
  it("two streams fill a session: the teacher is refused there, not on another session; a socket that drops without a close frame frees its slot", async () => {
    const lab = await limitedLab({ maxStreamsPerToken: 8, maxStreamsPerSession: 2 });
    const first = await openTraceSocket(lab.url(lab.id, lab.token));
    const dropped = await openTraceSocket(lab.url(lab.id, lab.token));
    await dropped.until((m) => m[0]?.type === "hello", "hello");

    expect(await refused(lab.url(lab.id, TEST_INSTRUCTOR_TOKEN))).toEqual(tooMany("session", 2, 2));
    const elsewhere = await startSession(lab.app, TEST_INSTRUCTOR_TOKEN);
    await openTraceSocket(lab.url(elsewhere, TEST_INSTRUCTOR_TOKEN));

    dropped.ws.terminate();
    const teacher = await acceptedOnceFreed(lab.url(lab.id, TEST_INSTRUCTOR_TOKEN));
    await teacher.until((m) => m[0]?.type === "hello", "hello");
    expect(await refused(lab.url(lab.id, lab.token))).toEqual(tooMany("session", 2, 2));
    expect(first.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("slots given back whatever ends the connection", () => {
  it("refused tokens (401), plain GETs (426) and handshakes that fail after the checks hold no slot once they are over", async () => {
    const lab = await limitedLab({ maxStreamsPerToken: 2, maxStreamsPerSession: 2 });
    for (let i = 0; i < 3; i++) {
      expect((await lab.get(`/api/sessions/${lab.id}/trace`)).statusCode).toBe(426);
      expect((await refused(lab.url(lab.id, "cnlab_nonsense"))).statusCode).toBe(401);
    }
    // A handshake ws rejects (a malformed key) passes the route's checks, takes a slot, then fails: 400, connection closed.
    const badHandshake = () =>
      new Promise<number>((resolve, reject) => {
        const req = httpRequest(`${lab.address}/api/sessions/${lab.id}/trace`, {
          headers: { ...bearer(lab.token), connection: "Upgrade", upgrade: "websocket", "sec-websocket-version": "13", "sec-websocket-key": "not-a-key" },
        });
        req.on("response", (res) => {
          res.resume();
          res.on("close", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.end();
      });
    for (let i = 0; i < 4; i++) expect(await badHandshake()).toBe(400);

    const a = await acceptedOnceFreed(lab.url(lab.id, lab.token));
    const b = await acceptedOnceFreed(lab.url(lab.id, lab.token));
    await Promise.all([a, b].map((s) => s.until((m) => m[0]?.type === "hello", "hello")));
    expect(await refused(lab.url(lab.id, lab.token))).toEqual(tooMany("token", 2, 2));
  });

  it("a peer the heartbeat cuts off frees its slot", async () => {
    const { url: wsUrl } = await fakeTraceApp({ heartbeatMs: 200, maxStreamsPerToken: 1, maxStreamsPerSession: 1 });
    const url = wsUrl("/api/sessions/s1/trace?access_token=S");

    const silent = new WebSocket(url, { autoPong: false });
    onTestFinished(() => silent.terminate());
    await new Promise((resolve, reject) => silent.once("open", resolve).once("error", reject));
    expect((await refused(url)).body.error.code).toBe("TOO_MANY_STREAMS");
    const code = await new Promise<number>((resolve) => silent.on("close", (c) => resolve(c)));
    expect(code).toBe(1006);
    const next = await acceptedOnceFreed(url);
    await next.until((m) => m[0]?.type === "hello", "hello");
  });
});
