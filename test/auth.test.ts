/**
 * Access control: who may call what. The matrix runs every route as each
 * kind of caller (no token, the session's owner, another student, an
 * instructor) and checks the status; then the 401 and 403 answers' shape,
 * where a token may come from, the throttle on guessed tokens, and the rate
 * and size limits.
 */
import { beforeAll, describe, expect, it, onTestFinished, vi } from "vitest";
import type { App } from "../server/app.js";
import { bearer, buildTestApp, createToken, sharedTestApp, startSession, TEST_INSTRUCTOR_TOKEN, type TestPrincipal } from "./helpers/build-app.js";
import { minimalLab } from "./helpers/lab-files.js";

type Caller = "none" | "owner" | "otherStudent" | "instructor";
const CALLERS: Caller[] = ["none", "owner", "otherStudent", "instructor"];

interface World {
  app: App;
  owner: TestPrincipal;
  other: TestPrincipal;
  headers: Record<Caller, Record<string, string>>;
}

interface RouteCase {
  route: string;
  /** The request, built fresh for each caller (a DELETE needs its own victim each time). */
  request: (world: World) => Promise<{ method: "GET" | "POST" | "PUT" | "DELETE"; url: string; payload?: string | object; headers?: Record<string, string> }>;
  expected: Record<Caller, number>;
}

const ownerOnly = (ok: number): Record<Caller, number> => ({ none: 401, owner: ok, otherStudent: 403, instructor: ok });
const anyone = (ok: number): Record<Caller, number> => ({ none: 401, owner: ok, otherStudent: ok, instructor: ok });
const instructorOnly = (ok: number): Record<Caller, number> => ({ none: 401, owner: 403, otherStudent: 403, instructor: ok });
const publicRoute: Record<Caller, number> = { none: 200, owner: 200, otherStudent: 200, instructor: 200 };

let labCounter = 0;
const yamlLab = (id: string) => ({ payload: minimalLab(id), headers: { "content-type": "application/yaml" } });

const ROUTES: RouteCase[] = [
  { route: "GET /health", request: async () => ({ method: "GET", url: "/health" }), expected: publicRoute },
  { route: "GET /api/labs", request: async () => ({ method: "GET", url: "/api/labs" }), expected: publicRoute },
  { route: "GET /api/labs/:id", request: async () => ({ method: "GET", url: "/api/labs/host-network" }), expected: publicRoute },
  { route: "GET /api/labs/:id/script", request: async () => ({ method: "GET", url: "/api/labs/host-network/script" }), expected: publicRoute },
  { route: "GET /api/me", request: async () => ({ method: "GET", url: "/api/me" }), expected: anyone(200) },
  { route: "POST /api/labs", request: async () => ({ method: "POST", url: "/api/labs", ...yamlLab(`matrix-lab-${++labCounter}`) }), expected: instructorOnly(201) },
  {
    route: "PUT /api/labs/:id",
    request: async ({ app }) => {
      const id = `matrix-lab-${++labCounter}`;
      await app.inject({ method: "POST", url: "/api/labs", headers: { ...bearer(TEST_INSTRUCTOR_TOKEN), "content-type": "application/yaml" }, payload: minimalLab(id) });
      return { method: "PUT", url: `/api/labs/${id}`, ...yamlLab(id) };
    },
    expected: instructorOnly(200),
  },
  {
    route: "DELETE /api/labs/:id",
    request: async ({ app }) => {
      const id = `matrix-lab-${++labCounter}`;
      await app.inject({ method: "POST", url: "/api/labs", headers: { ...bearer(TEST_INSTRUCTOR_TOKEN), "content-type": "application/yaml" }, payload: minimalLab(id) });
      return { method: "DELETE", url: `/api/labs/${id}` };
    },
    expected: instructorOnly(204),
  },
  { route: "POST /api/sessions", request: async () => ({ method: "POST", url: "/api/sessions", payload: { labId: "host-network" } }), expected: anyone(201) },
  { route: "GET /api/sessions", request: async () => ({ method: "GET", url: "/api/sessions" }), expected: anyone(200) },
  { route: "GET /api/sessions/:id", request: async (w) => ({ method: "GET", url: `/api/sessions/${await ownersSession(w)}` }), expected: ownerOnly(200) },
  { route: "DELETE /api/sessions/:id", request: async (w) => ({ method: "DELETE", url: `/api/sessions/${await ownersSession(w)}` }), expected: ownerOnly(204) },
  { route: "POST /api/sessions/:id/archive", request: async (w) => ({ method: "POST", url: `/api/sessions/${await ownersSession(w)}/archive` }), expected: instructorOnly(200) },
  { route: "DELETE /api/sessions/:id/archive", request: async (w) => ({ method: "DELETE", url: `/api/sessions/${await ownersSession(w)}/archive` }), expected: instructorOnly(200) },
  // A date before any session: the bulk delete is authorised, and deletes nothing other rows need.
  { route: "DELETE /api/sessions", request: async () => ({ method: "DELETE", url: "/api/sessions?before=2000-01-01" }), expected: instructorOnly(200) },
  {
    route: "POST /api/sessions/:id/commands",
    request: async (w) => ({ method: "POST", url: `/api/sessions/${await ownersSession(w)}/commands`, payload: { host: "node1", command: "ip route" } }),
    expected: ownerOnly(200),
  },
  { route: "GET /api/sessions/:id/commands", request: async (w) => ({ method: "GET", url: `/api/sessions/${await ownersSession(w)}/commands` }), expected: ownerOnly(200) },
  { route: "GET /api/sessions/:id/state", request: async (w) => ({ method: "GET", url: `/api/sessions/${await ownersSession(w)}/state` }), expected: ownerOnly(200) },
  { route: "GET /api/sessions/:id/events", request: async (w) => ({ method: "GET", url: `/api/sessions/${await ownersSession(w)}/events` }), expected: ownerOnly(200) },
  {
    route: "GET /api/sessions/:id/trace",
    // Without an upgrade: access is checked first, then 426 for those who may connect.
    request: async (w) => ({ method: "GET", url: `/api/sessions/${await ownersSession(w)}/trace` }),
    expected: ownerOnly(426),
  },
  { route: "GET /api/sessions/:id/pcap", request: async (w) => ({ method: "GET", url: `/api/sessions/${await ownersSession(w)}/pcap` }), expected: ownerOnly(200) },
  {
    route: "GET /api/sessions/:id/frames/:seq",
    request: async (w) => {
      const id = await ownersSession(w);
      await w.app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: w.headers.owner, payload: { host: "node1", command: "ping -c 1 10.168.0.3" } });
      const events = (await w.app.inject({ method: "GET", url: `/api/sessions/${id}/events`, headers: w.headers.owner })).json<{ events: { seq: number; kind: string }[] }>().events;
      return { method: "GET", url: `/api/sessions/${id}/frames/${events.find((e) => e.kind === "frame-tx")!.seq}` };
    },
    expected: ownerOnly(200),
  },
  { route: "GET /api/sessions/:id/script", request: async (w) => ({ method: "GET", url: `/api/sessions/${await ownersSession(w)}/script` }), expected: ownerOnly(200) },
  { route: "GET /api/sessions/:id/progress", request: async (w) => ({ method: "GET", url: `/api/sessions/${await ownersSession(w)}/progress` }), expected: ownerOnly(200) },
  {
    route: "POST /api/sessions/:id/answers",
    request: async (w) => ({ method: "POST", url: `/api/sessions/${await ownersSession(w)}/answers`, payload: { taskId: "look-from-inside", value: "10.168.0.2" } }),
    expected: ownerOnly(201),
  },
  { route: "POST /api/grading/runs", request: async () => ({ method: "POST", url: "/api/grading/runs", payload: { labId: "host-network" } }), expected: instructorOnly(202) },
  { route: "GET /api/grading/runs", request: async () => ({ method: "GET", url: "/api/grading/runs" }), expected: instructorOnly(200) },
  {
    route: "GET /api/grading/runs/:id",
    request: async ({ app }) => {
      const run = await app.inject({ method: "POST", url: "/api/grading/runs", headers: bearer(TEST_INSTRUCTOR_TOKEN), payload: { labId: "host-network" } });
      return { method: "GET", url: `/api/grading/runs/${run.json<{ id: string }>().id}` };
    },
    expected: instructorOnly(200),
  },
  { route: "POST /api/tokens", request: async () => ({ method: "POST", url: "/api/tokens", payload: { name: `Student ${++labCounter}` } }), expected: instructorOnly(201) },
  { route: "GET /api/tokens", request: async () => ({ method: "GET", url: "/api/tokens" }), expected: instructorOnly(200) },
  {
    route: "DELETE /api/tokens/:id",
    request: async ({ app }) => ({ method: "DELETE", url: `/api/tokens/${(await createToken(app, `Victim ${++labCounter}`)).id}` }),
    expected: instructorOnly(204),
  },
];

/** A fresh session of the owner's (each caller gets its own, so a DELETE does not spoil the next). */
async function ownersSession(world: World): Promise<string> {
  return startSession(world.app, world.owner.token, "host-network");
}

async function world(app: App): Promise<World> {
  const owner = await createToken(app, "Owner");
  const other = await createToken(app, "Other student");
  return {
    app,
    owner,
    other,
    headers: { none: {}, owner: bearer(owner.token), otherStudent: bearer(other.token), instructor: bearer(TEST_INSTRUCTOR_TOKEN) },
  };
}

describe("authorization matrix: each route × no token, the owner, another student, an instructor", () => {
  // One app and one pair of students for every row: each row makes what it acts on afresh
  // (its own session, lab, token or run), so no row sees another's.
  const app = sharedTestApp();
  let w: World;
  beforeAll(async () => {
    w = await world(app());
  });

  it.each(ROUTES)("$route", async ({ request, expected }) => {
    const got: Record<string, number> = {};
    for (const caller of CALLERS) {
      const { headers, ...rest } = await request(w);
      const response = await w.app.inject({ ...rest, headers: { ...headers, ...w.headers[caller] } });
      got[caller] = response.statusCode;
      if (response.statusCode === 401 || response.statusCode === 403) {
        expect(response.json<{ error: { code: string } }>().error.code).toBe(response.statusCode === 401 ? "UNAUTHORIZED" : "FORBIDDEN");
      }
    }
    expect(got).toEqual(expected);
  });
});

describe("the matrix covers the API", () => {
  it("has a row for every route the OpenAPI document lists", async () => {
    const app = await buildTestApp();
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json<{ paths: Record<string, Record<string, unknown>> }>();
    const documented = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ":$1")}`),
    );
    expect(ROUTES.map((r) => r.route).sort()).toEqual(expect.arrayContaining(documented.sort()));
    expect(documented.sort()).toEqual(expect.arrayContaining(ROUTES.map((r) => r.route).sort()));
  });
});

describe("authentication", () => {
  it("answers a missing, malformed or unknown token with 401 UNAUTHORIZED in the error shape and a WWW-Authenticate header", async () => {
    const app = await buildTestApp();
    const cases: Array<[Record<string, string>, string]> = [
      [{}, "Authentication required: send the header Authorization: Bearer <token>"],
      [{ authorization: "Basic dXNlcjpwYXNz" }, "Authentication required: send the header Authorization: Bearer <token>"],
      [{ authorization: "Bearer cnlab_not-a-real-token" }, "The bearer token is unknown or has been revoked"],
    ];
    for (const [headers, message] of cases) {
      const response = await app.inject({ method: "GET", url: "/api/sessions", headers });
      expect(response.statusCode).toBe(401);
      expect(response.headers["www-authenticate"]).toBe('Bearer realm="cnlab"');
      expect(response.json()).toEqual({ error: { code: "UNAUTHORIZED", message } });
    }
  });

  it("takes ?access_token= only on a WebSocket upgrade, never on a plain request", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "GET", url: `/api/sessions?access_token=${TEST_INSTRUCTOR_TOKEN}` });
    expect(response.statusCode).toBe(401);
  });

  it("tells a student who reaches for another's session 403 FORBIDDEN, and anyone asking for a missing one 404", async () => {
    const w = await world(await buildTestApp());
    const id = await ownersSession(w);
    const forbidden = await w.app.inject({ method: "GET", url: `/api/sessions/${id}/state`, headers: w.headers.otherStudent });
    expect(forbidden.json()).toEqual({ error: { code: "FORBIDDEN", message: "This session belongs to another student" } });
    const missing = await w.app.inject({ method: "GET", url: "/api/sessions/00000000-0000-4000-8000-000000000000", headers: w.headers.otherStudent });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.code).toBe("SESSION_NOT_FOUND");
  });
});

describe("guessing tokens", () => {
  const GUESSER = "203.0.113.7";
  const guess = (app: App, n: number, remoteAddress = GUESSER) =>
    app.inject({ method: "GET", url: "/api/sessions", headers: bearer(`cnlab_guess-${n}`), remoteAddress });
  const withToken = (app: App, remoteAddress = GUESSER) => app.inject({ method: "GET", url: "/api/sessions", headers: bearer(TEST_INSTRUCTOR_TOKEN), remoteAddress });

  it("after the allowed wrong tokens, one address gets 429 RATE_LIMITED with Retry-After, even with the right token", async () => {
    const app = await buildTestApp({ authFailuresPerMinute: 3 });
    const statuses: number[] = [];
    for (let n = 0; n < 5; n++) statuses.push((await guess(app, n)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);

    const refused = await withToken(app);
    expect(refused.statusCode).toBe(429);
    const retryAfter = Number(refused.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(refused.json()).toEqual({
      error: {
        code: "RATE_LIMITED",
        message: `Too many failed authentications from this address: at most 3 per minute; retry in ${retryAfter} s`,
        details: { limit: 3, window: "minute", retryAfterSeconds: retryAfter },
      },
    });
    // A token-free route is not the throttle's business.
    expect((await app.inject({ method: "GET", url: "/api/labs", remoteAddress: GUESSER })).statusCode).toBe(200);
  });

  it("leaves other addresses alone, and counts one IPv6 /64 as one address", async () => {
    const app = await buildTestApp({ authFailuresPerMinute: 2 });
    await guess(app, 1);
    await guess(app, 2);
    expect((await withToken(app)).statusCode).toBe(429);
    expect((await withToken(app, "203.0.113.8")).statusCode).toBe(200);
    expect((await guess(app, 3, "203.0.113.8")).statusCode).toBe(401);

    await guess(app, 4, "2001:db8:0:1::1");
    await guess(app, 5, "2001:db8:0:1::2");
    expect((await withToken(app, "2001:db8:0:1::3")).statusCode).toBe(429);
    expect((await withToken(app, "2001:db8:0:2::1")).statusCode).toBe(200);
  });

  it("counts only failures: requests with the right token, or with none, do not use up the allowance", async () => {
    const app = await buildTestApp({ authFailuresPerMinute: 2 });
    for (let n = 0; n < 10; n++) expect((await withToken(app)).statusCode).toBe(200);
    for (let n = 0; n < 5; n++) expect((await app.inject({ method: "GET", url: "/api/sessions", remoteAddress: GUESSER })).statusCode).toBe(401);
    expect((await guess(app, 1)).statusCode).toBe(401);
    expect((await withToken(app)).statusCode).toBe(200);
  });

  it("lets the address in again once the minute is over", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    onTestFinished(() => {
      vi.useRealTimers();
    });
    // Alone: the window is counted in this process, on the clock the test moves. With Redis
    // (npm run test:pg) it is the key's expiry, on Redis's own clock (test/plugins/rate-limits-redis.test.ts).
    const app = await buildTestApp({ authFailuresPerMinute: 1, redisUrl: null });
    expect((await guess(app, 1)).statusCode).toBe(401);
    expect((await withToken(app)).statusCode).toBe(429);
    vi.setSystemTime(Date.now() + 61_000);
    expect((await withToken(app)).statusCode).toBe(200);
  });
});

describe("limits", () => {
  it("rate-limits commands per token: 429 RATE_LIMITED with Retry-After, while another student goes on", async () => {
    const app = await buildTestApp({ commandRate: 3 });
    const alice = await createToken(app, "Alice");
    const bob = await createToken(app, "Bob");
    const aliceSession = await startSession(app, alice.token, "host-network");
    const bobSession = await startSession(app, bob.token, "host-network");
    const post = (token: string, id: string) =>
      app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(token), payload: { host: "node1", command: "ip route" } });

    // All at once, so they fall in one window however slow the machine.
    const responses = await Promise.all(Array.from({ length: 5 }, () => post(alice.token, aliceSession)));
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 429, 429]);
    const limited = responses.find((r) => r.statusCode === 429)!;
    expect(limited.headers["retry-after"]).toBe("1");
    expect(limited.json()).toEqual({
      error: {
        code: "RATE_LIMITED",
        message: "Too many commands: at most 3 per second for one token; retry in 1 s",
        details: { limit: 3, window: "second", retryAfterSeconds: 1 },
      },
    });
    expect((await post(bob.token, bobSession)).statusCode).toBe(200);
    // Refused commands are not run, so not logged.
    expect(await app.prisma.sessionCommand.count({ where: { sessionId: aliceSession } })).toBe(3);
  });

  it("rate-limits new sessions per token per minute", async () => {
    const app = await buildTestApp({ sessionRate: 2 });
    const alice = await createToken(app, "Alice");
    const responses = await Promise.all(
      Array.from({ length: 3 }, () => app.inject({ method: "POST", url: "/api/sessions", headers: bearer(alice.token), payload: { labId: "host-network" } })),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([201, 201, 429]);
    expect(responses.find((r) => r.statusCode === 429)?.json().error.message).toMatch(/^Too many new sessions: at most 2 per minute for one token; retry in \d+ s$/);
  });

  it("refuses a request body over 64 KiB with 413 PAYLOAD_TOO_LARGE in the error shape", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const id = await startSession(app, alice.token, "host-network");
    const response = await app.inject({
      method: "POST",
      url: `/api/sessions/${id}/commands`,
      headers: bearer(alice.token),
      payload: { host: "node1", command: "ip route", padding: "x".repeat(70 * 1024) },
    });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({
      error: { code: "PAYLOAD_TOO_LARGE", message: "The request body is larger than the 64 KiB this route accepts", details: { limit: 65536 } },
    });
  });
});
