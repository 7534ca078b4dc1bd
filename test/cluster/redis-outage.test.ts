/**
 * Redis dying in the middle of a run and coming back empty
 * (`npm run test:cluster`; docs/scale-out.md, "When Redis goes away"): two
 * real instances on one database and a redis-server of this test's own,
 * killed with SIGKILL in the middle of a burst of commands and started again
 * on the same port with none of its keys.
 *
 * - no instance crashes, and no request hangs: while Redis is away every
 *   answer is either the command's (acknowledged) or 503 in the error shape,
 *   a new session is refused with 503 too, and /health says Redis is down;
 * - every acknowledged command is in the log and in the network, at its
 *   index, once; nothing refused is;
 * - once Redis is back, the instances recover by themselves: /health is 200,
 *   a new session is given out at once, commands are served again by one
 *   instance holding the lease (set again in the new Redis), rate limits
 *   count in Redis again, and a WebSocket on the other instance, open all
 *   along, ends with every event in order, once.
 */
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { RATE_LIMIT_KEY_PREFIX } from "../../server/plugins/rate-limits.js";
import { startRedis } from "../helpers/redis-server.js";
import { openTraceSocket, type TraceSocket } from "../helpers/trace-socket.js";
import { INSTRUCTOR, sharedDatabase, skipCluster, startCluster, type Instance } from "./cluster-harness.js";

const auth = { authorization: `Bearer ${INSTRUCTOR}` };
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface CommandAnswer {
  index: number;
  output: string;
  events: { from: number; to: number };
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  instance: string | null;
}

/** A request that must be answered within 20 s: an instance that hangs on a Redis that is away fails the test. */
async function call(baseUrl: string, method: string, url: string, body?: unknown): Promise<Answer> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { ...auth, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, instance: response.headers.get("x-cnlab-instance") };
}

async function traceSocket(instance: Instance, sessionId: string): Promise<TraceSocket> {
  const socket = await openTraceSocket(`${instance.url.replace("http:", "ws:")}/api/sessions/${sessionId}/trace`, auth);
  await socket.until((messages) => messages.some((m) => m.type === "hello"), "hello");
  socket.send({ type: "subscribe", fromSeq: 0 });
  return socket;
}

describe.skipIf(skipCluster)("Redis dies in the middle of a run and comes back empty", () => {
  it("no crash, no hang, 503 in the error shape meanwhile, no acknowledged command lost, and everything works again once Redis is back", { timeout: 180_000 }, async () => {
    let redis = await startRedis();
    const port = redis.port;
    try {
      const LEASE_MS = 3_000;
      const [a, b] = await startCluster(2, { redisUrl: redis.url, databaseUrl: await sharedDatabase(), leaseMs: LEASE_MS });
      const created = await call(a!.url, "POST", "/api/sessions", { labId: "bridge-two-containers" });
      expect(created.status).toBe(201);
      const id = created.body["id"] as string;
      const onB = await traceSocket(b!, id);

      const commandOf = (i: number) => (i % 2 === 0 ? `ip route add 10.0.${i}.0/24 via 172.17.0.1` : "ping -c 1 172.17.0.3");
      const acks = new Map<number, { i: number; answer: CommandAnswer }>();
      const refusals: Array<{ i: number; status: number; code: unknown }> = [];
      let next = 0;
      const send = async (target: Instance) => {
        const i = next++;
        const answer = await call(target.url, "POST", `/api/sessions/${id}/commands`, { host: "node1", namespace: "nginx-1", command: commandOf(i) });
        if (answer.status === 200) {
          const body = answer.body as unknown as CommandAnswer;
          acks.set(body.index, { i, answer: body });
        } else {
          // The project's error shape, and only the answers that say "not run, try again".
          expect(answer.body, JSON.stringify(answer.body)).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
          refusals.push({ i, status: answer.status, code: (answer.body["error"] as { code: string }).code });
        }
        return answer;
      };

      // Before: commands to both instances (b forwards to a), all served by a.
      for (let n = 0; n < 8; n++) {
        const answer = await send(n % 2 === 0 ? a! : b!);
        expect(answer.status, JSON.stringify(answer.body)).toBe(200);
        expect(answer.instance).toBe("a");
      }

      // Redis is killed in the middle of a burst of commands to both instances.
      const burst = Array.from({ length: 4 }, async (_, lane) => {
        for (let n = 0; n < 6; n++) await send(lane % 2 === 0 ? a! : b!);
      });
      await sleep(50);
      await redis.stop();
      await Promise.all(burst);

      // While Redis is away, long enough for a's lease to run out: commands to either instance are refused, never hang.
      const downSince = Date.now();
      while (Date.now() - downSince < LEASE_MS + 1_000) {
        await send(a!);
        await send(b!);
        await sleep(200);
      }
      const lateRefusals = refusals.filter((r) => r.i >= next - 4);
      expect(lateRefusals.length).toBe(4);
      for (const refusal of refusals) expect(refusal, JSON.stringify(refusal)).toMatchObject({ status: 503, code: "REDIS_UNAVAILABLE" });
      for (const instance of [a!, b!]) {
        const health = await call(instance.url, "GET", "/health");
        expect(health.status).toBe(503);
        expect(health.body).toEqual({ error: { code: "REDIS_UNAVAILABLE", message: "Redis is not answering" } });
        expect(instance.process.child.exitCode).toBeNull();
      }
      // Reads from the database go on; a new session cannot be given to an instance.
      const during = await call(b!.url, "GET", `/api/sessions/${id}/commands?limit=1000`);
      expect(during.status).toBe(200);
      const startedDuring = await call(b!.url, "POST", "/api/sessions", { labId: "bridge-two-containers" });
      expect(startedDuring.status).toBe(503);
      expect(startedDuring.body).toMatchObject({ error: { code: "REDIS_UNAVAILABLE" } });

      // Redis comes back on the same port, empty.
      redis = await startRedis({ port });
      const client = new Redis(redis.url);
      try {
        for (const instance of [a!, b!]) {
          for (let tries = 0; ; tries++) {
            const health = await call(instance.url, "GET", "/health");
            if (health.status === 200) {
              expect(health.body["dependencies"]).toMatchObject({ redis: { status: "ok" } });
              break;
            }
            expect(tries, "an instance did not reconnect to Redis within 15 s").toBeLessThan(75);
            await sleep(200);
          }
        }

        // A new session is taken at once, even while the instances take their sessions back.
        const startedAfter = await call(b!.url, "POST", "/api/sessions", { labId: "bridge-two-containers" });
        expect(startedAfter.status, JSON.stringify(startedAfter.body)).toBe(201);
        expect((await client.get(`cnlab:lease:${startedAfter.body["id"] as string}`))?.split(" ")[0]).toBe("b");

        // Commands are served again (after at most a lease's time of "recovering"), by one instance, which holds the lease:
        // a, asked first, so that b's WebSocket hears of them only through its subscription, taken again in the new Redis.
        const servedBy = new Set<string>();
        let recovered = false;
        for (let tries = 0; !recovered; tries++) {
          expect(tries, "commands were not served again within 15 s of Redis coming back").toBeLessThan(75);
          const answer = await send(a!);
          if (answer.status === 200) {
            recovered = true;
            servedBy.add(answer.instance!);
          } else await sleep(200);
        }
        for (let n = 0; n < 8; n++) {
          const answer = await send(n % 2 === 0 ? a! : b!);
          expect(answer.status, JSON.stringify(answer.body)).toBe(200);
          servedBy.add(answer.instance!);
        }
        expect([...servedBy]).toEqual(["a"]);
        expect((await client.get(`cnlab:lease:${id}`))?.split(" ")[0]).toBe("a");
        // The rate limits count in the new Redis.
        expect((await client.keys(`${RATE_LIMIT_KEY_PREFIX}*`)).length).toBeGreaterThan(0);
      } finally {
        client.disconnect();
      }
      for (const instance of [a!, b!]) expect(instance.process.child.exitCode).toBeNull();

      // The log: no holes, every acknowledged command at its index, once; no refused command in it.
      const log = await call(a!.url, "GET", `/api/sessions/${id}/commands?limit=1000`);
      const commands = log.body["commands"] as Array<{ index: number; command: string; output: string; events: { from: number; to: number } }>;
      expect(commands.map((c) => c.index)).toEqual(range(0, log.body["total"] as number));
      expect(commands.length).toBe(acks.size);
      for (const [index, { i, answer }] of acks) expect(commands[index]).toMatchObject({ command: commandOf(i), output: answer.output, events: answer.events });
      commands.forEach((c, n) => expect(c.events.from).toBe(n === 0 ? 0 : commands[n - 1]!.events.to));

      // The network has exactly the acknowledged routes.
      const state = await call(b!.url, "GET", `/api/sessions/${id}/state`);
      expect(state.status).toBe(200);
      const hosts = (state.body as { hosts: Array<{ name: string; namespaces: Array<{ name: string; routes: Array<{ dst: string }> }> }> }).hosts;
      const routes = hosts.find((h) => h.name === "node1")!.namespaces.find((ns) => ns.name === "nginx-1")!.routes.map((r) => r.dst);
      const acknowledgedRoutes = [...acks.values()].filter(({ i }) => i % 2 === 0).map(({ i }) => `10.0.${i}.0/24`);
      expect(routes.filter((dst) => dst.startsWith("10.")).sort()).toEqual(acknowledgedRoutes.sort());

      // The WebSocket on b, open all along: every event, in order, once.
      const nextSeq = commands.at(-1)!.events.to;
      await onB.until(() => onB.events().length >= nextSeq, `${nextSeq} events on b`, 30_000);
      expect(onB.events().map((e) => e.seq)).toEqual(range(0, nextSeq));
    } finally {
      await redis.stop();
    }
  });
});
