/**
 * Several real cnlab processes on one database and one Redis
 * (`npm run test:cluster`; docs/scale-out.md):
 *
 * - a WebSocket on instance a sees, in order and exactly once, the events of
 *   commands run by instance b, sent to b or to c (which forwards them);
 * - kill -9 of a session's instance in the middle of a burst of commands: the
 *   session moves to a survivor once its lease runs out, every acknowledged
 *   command is in the log and in the rebuilt state, the trace goes on from
 *   the next seq, and a WebSocket client of the dead instance resumes on
 *   another from its last seq without a gap or a duplicate.
 */
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { openTraceSocket, type TraceSocket } from "../helpers/trace-socket.js";
import { INSTRUCTOR, call, sharedDatabase, skipCluster, startCluster, startRedis, type Instance } from "./cluster-harness.js";


const auth = { authorization: `Bearer ${INSTRUCTOR}` };
const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

interface CommandAnswer {
  index: number;
  output: string;
  events: { from: number; to: number };
}

async function traceSocket(instance: Instance, sessionId: string, fromSeq: number): Promise<TraceSocket> {
  const socket = await openTraceSocket(`${instance.url.replace("http:", "ws:")}/api/sessions/${sessionId}/trace`, auth);
  await socket.until((messages) => messages.some((m) => m.type === "hello"), "hello");
  socket.send({ type: "subscribe", fromSeq });
  return socket;
}

const seqsOf = (socket: TraceSocket) => socket.events().map((e) => e.seq);

async function leaseHolder(redisUrl: string, sessionId: string): Promise<string | null> {
  const redis = new Redis(redisUrl, { lazyConnect: false });
  try {
    const value = await redis.get(`cnlab:lease:${sessionId}`);
    return value === null ? null : value.split(" ")[0]!;
  } finally {
    redis.disconnect();
  }
}

describe.skipIf(skipCluster)("several instances on one database and one Redis", () => {
  it("a WebSocket on instance a sees, in order and exactly once, the events of commands b runs, whether sent to b or forwarded by c", { timeout: 180_000 }, async () => {
    const redisUrl = await startRedis();
    const [a, b, c] = await startCluster(3, { redisUrl, databaseUrl: await sharedDatabase(), leaseMs: 3_000 });

    const created = await call<{ id: string }>(b!.url, "POST", "/api/sessions", { labId: "bridge-two-containers" });
    expect(created.status).toBe(201);
    expect(created.instance).toBe("b");
    const id = created.body.id;
    expect(await leaseHolder(redisUrl, id)).toBe("b");

    const socket = await traceSocket(a!, id, 0);
    let to = 0;
    for (let i = 0; i < 6; i++) {
      const target = i % 2 === 0 ? b! : c!;
      const answer = await call<CommandAnswer>(target.url, "POST", `/api/sessions/${id}/commands`, { host: "node1", namespace: "nginx-1", command: "ping -c 2 172.17.0.3" });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      // c did not run it: b, the session's instance, did.
      expect(answer.instance).toBe("b");
      expect(answer.body.index).toBe(i);
      expect(answer.body.events.from).toBe(to);
      to = answer.body.events.to;
    }
    expect(to).toBeGreaterThan(0);
    await socket.until(() => socket.events().length >= to, `${to} events on a`, 30_000);
    expect(seqsOf(socket)).toEqual(range(0, to));

    // The same events as the store holds, byte for byte.
    const stored = await call<{ events: unknown[] }>(a!.url, "GET", `/api/sessions/${id}/events?from=0&limit=5000`);
    expect(socket.events()).toEqual(stored.body.events);

    // One more: what arrives next starts right after, with nothing sent twice in between.
    const more = await call<CommandAnswer>(c!.url, "POST", `/api/sessions/${id}/commands`, { host: "node1", namespace: "nginx-2", command: "ping -c 1 172.17.0.2" });
    expect(more.status).toBe(200);
    await socket.until(() => socket.events().length >= more.body.events.to, `${more.body.events.to} events on a`, 30_000);
    expect(seqsOf(socket)).toEqual(range(0, more.body.events.to));

    // State, read through a: b's network, forwarded.
    const state = await call<{ hosts: Array<{ name: string }> }>(a!.url, "GET", `/api/sessions/${id}/state`);
    expect(state.status).toBe(200);
    expect(state.instance).toBe("b");
  });

  it("kill -9 of the session's instance mid-burst: a survivor takes the session, nothing acknowledged is lost, the trace resumes without gap or duplicate", { timeout: 240_000 }, async () => {
    const leaseMs = 2_000;
    const redisUrl = await startRedis();
    const [a, b, c] = await startCluster(3, { redisUrl, databaseUrl: await sharedDatabase(), leaseMs });

    const created = await call<{ id: string }>(a!.url, "POST", "/api/sessions", { labId: "bridge-two-containers" });
    expect(created.instance).toBe("a");
    const id = created.body.id;

    // A client on the instance about to die, and one on a survivor.
    const onA = await traceSocket(a!, id, 0);
    const onB = await traceSocket(b!, id, 0);

    const TOTAL = 60;
    const WINDOW = 3;
    const KILL_AFTER = 15;
    const commandOf = (i: number) => (i % 2 === 0 ? `ip route add 10.0.${i}.0/24 via 172.17.0.1` : "ping -c 1 172.17.0.3");
    const sent = new Set<number>();
    const acks = new Map<number, { i: number; answer: CommandAnswer }>();
    const refused: string[] = [];
    let next = 0;
    let killed = false;

    // Phase 1: WINDOW senders keep commands in flight to a, until a is killed after KILL_AFTER answers.
    const sender = async () => {
      while (!killed && next < TOTAL) {
        const i = next++;
        sent.add(i);
        let answer;
        try {
          answer = await call<CommandAnswer>(a!.url, "POST", `/api/sessions/${id}/commands`, { host: "node1", namespace: "nginx-1", command: commandOf(i) });
        } catch (err) {
          if (!killed) throw err;
          return;
        }
        if (answer.status !== 200) refused.push(`${i}: ${answer.status} ${JSON.stringify(answer.body)}`);
        else acks.set(answer.body.index, { i, answer: answer.body });
        if (!killed && acks.size >= KILL_AFTER) {
          killed = true;
          a!.process.child.kill("SIGKILL");
        }
      }
    };
    await Promise.all(Array.from({ length: WINDOW }, () => sender()));
    await a!.process.exited;
    expect(a!.process.child.signalCode).toBe("SIGKILL");
    expect(refused).toEqual([]);

    // Phase 2: the rest, to the survivors by turns; the first waits for a's lease to run out.
    const servedBy = new Set<string>();
    for (let n = 0; next < TOTAL; n++) {
      const i = next++;
      sent.add(i);
      const target = n % 2 === 0 ? c! : b!;
      const answer = await call<CommandAnswer>(target.url, "POST", `/api/sessions/${id}/commands`, { host: "node1", namespace: "nginx-1", command: commandOf(i) });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      acks.set(answer.body.index, { i, answer: answer.body });
      servedBy.add(answer.instance!);
    }
    // One survivor runs the session now, and holds its lease.
    expect(servedBy.size).toBe(1);
    const owner = [...servedBy][0]!;
    expect(["b", "c"]).toContain(owner);
    expect(await leaseHolder(redisUrl, id)).toBe(owner);

    // The log: no holes, every acknowledged command at its index with its output and events, only sent commands, each once.
    const log = await call<{ commands: Array<{ index: number; command: string; output: string; events: { from: number; to: number } }>; total: number }>(
      b!.url,
      "GET",
      `/api/sessions/${id}/commands?limit=1000`,
    );
    expect(log.body.commands.map((cmd) => cmd.index)).toEqual(range(0, log.body.total));
    for (const [index, { i, answer }] of acks) {
      expect(log.body.commands[index]).toMatchObject({ command: commandOf(i), output: answer.output, events: answer.events });
    }
    // The trace goes on from the next seq: each command's events start where the previous one's ended.
    log.body.commands.forEach((cmd, n) => expect(cmd.events.from).toBe(n === 0 ? 0 : log.body.commands[n - 1]!.events.to));
    const routesLogged = log.body.commands.filter((cmd) => cmd.command.startsWith("ip route add")).map((cmd) => cmd.command.split(" ")[3]!);
    expect(new Set(routesLogged).size).toBe(routesLogged.length);
    const sentRoutes = new Set([...sent].filter((i) => i % 2 === 0).map((i) => commandOf(i).split(" ")[3]!));
    for (const route of routesLogged) expect(sentRoutes.has(route), route).toBe(true);
    for (const { i } of acks.values()) if (i % 2 === 0) expect(routesLogged).toContain(commandOf(i).split(" ")[3]);

    // The rebuilt network has exactly the logged routes (read through c, forwarded if b runs it).
    const state = await call<{ hosts: Array<{ name: string; namespaces: Array<{ name: string; routes: Array<{ dst: string }> }> }> }>(c!.url, "GET", `/api/sessions/${id}/state`);
    expect(state.status).toBe(200);
    expect(state.instance).toBe(owner);
    const routes = state.body.hosts.find((h) => h.name === "node1")!.namespaces.find((ns) => ns.name === "nginx-1")!.routes.map((r) => r.dst);
    expect(routes.filter((dst) => dst.startsWith("10.")).sort()).toEqual([...routesLogged].sort());

    const nextSeq = log.body.commands.at(-1)!.events.to;
    expect(nextSeq).toBeGreaterThan(0);

    // The client on b never lost its connection: everything, in order, once.
    await onB.until(() => onB.events().length >= nextSeq, `${nextSeq} events on b`, 30_000);
    expect(seqsOf(onB)).toEqual(range(0, nextSeq));

    // The client on a lost it: it resumes on c from its last seq and ends with everything, in order, once.
    await onA.closed;
    const before = seqsOf(onA);
    expect(before).toEqual(range(0, before.length));
    const resumed = await traceSocket(c!, id, before.length);
    await resumed.until(() => before.length + resumed.events().length >= nextSeq, `${nextSeq - before.length} events on c`, 30_000);
    expect([...before, ...seqsOf(resumed)]).toEqual(range(0, nextSeq));
  });
});
