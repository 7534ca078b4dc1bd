/**
 * Several instances on one database and one Redis (npm run bench:cluster):
 * commands per second and trace events per second delivered to WebSocket
 * clients with 1, 2 and 3 instances, and the failover time (kill -9 of a
 * session's instance to the first command answered by a survivor).
 *
 * - The servers are built as `npm run build:server` builds them and started
 *   as `npm start` starts them, each with REDIS_URL (a redis-server started
 *   here on a free port, or REDIS_URL) and one database: BENCH_DATABASE_URL
 *   (a PostgreSQL URL, say) or a new SQLite file per instance count.
 * - The load is a round-robin over the instances, done by the client (the
 *   cost of a balancer is left out, not measured): BENCH_IN_FLIGHT requests
 *   (default 32) kept in flight over BENCH_SESSIONS sessions (default 16),
 *   `ping -c 1` each (one round trip simulated, its trace stored and
 *   streamed). Each session has one WebSocket trace client, on an instance
 *   taken by turns too: with two or three instances most of them watch a
 *   session another instance runs, through the fan-out.
 * - BENCH_ROUNDS rounds (default 5) of BENCH_SECONDS (default 3) per instance
 *   count after a warm-up; min / median / max over rounds.
 * - Failover: BENCH_FAILOVERS times (default 5), with three instances and
 *   BENCH_LEASE_MS (default 6000, the default lease): a session warmed on one
 *   instance, that instance killed with SIGKILL, then the command sent to a
 *   survivor at once and again until one is answered 200. The killed instance
 *   is started again before the next round.
 */
import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { BUILD_DIR, buildServer } from "../scripts/build-server.js";
import { startRedis } from "../test/helpers/redis-server.js";
import { freePort, spread, startBuiltServer, stopProcess, waitForHealth } from "./built-server.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 3);
const IN_FLIGHT = Number(process.env["BENCH_IN_FLIGHT"] ?? 32);
const SESSIONS = Number(process.env["BENCH_SESSIONS"] ?? 16);
const FAILOVERS = Number(process.env["BENCH_FAILOVERS"] ?? 5);
const LEASE_MS = Number(process.env["BENCH_LEASE_MS"] ?? 6000);
const LOG_LEVEL = process.env["BENCH_LOG_LEVEL"] ?? "warn";
const INSTRUCTOR_TOKEN = "cnlab_bench-instructor-token-cluster";
const COMMAND = { host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" };


async function api<T>(url: string, method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${url}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${INSTRUCTOR_TOKEN}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

/** REDIS_URL, or a redis-server of the benchmark's own (the tests' helper: a free port of 127.0.0.1, nothing saved). */
async function redisFor(stops: Array<() => Promise<void>>): Promise<string> {
  if (process.env["REDIS_URL"]) return process.env["REDIS_URL"];
  const redis = await startRedis();
  stops.push(() => redis.stop());
  return redis.url;
}

interface Instance {
  id: string;
  url: string;
  child: ChildProcess;
}

async function startInstance(entry: string, id: string, redisUrl: string, databaseUrl: string): Promise<Instance> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = startBuiltServer(entry, {
    port,
    databaseUrl,
    logLevel: LOG_LEVEL,
    instructorToken: INSTRUCTOR_TOKEN,
    // One token drives every session here: its trace bandwidth (a student's) would cut its clients off as lagged.
    env: { REDIS_URL: redisUrl, CNLAB_INSTANCE_ID: id, CNLAB_LEASE_MS: String(LEASE_MS), CNLAB_MAX_STREAMS_PER_TOKEN: "10000", CNLAB_REPLAY_MB_PER_SECOND: "10000" },
  });
  await waitForHealth(url, child);
  return { id, url, child };
}

/** A trace client counting the events it is sent. */
function traceClient(instance: Instance, sessionId: string, counter: { events: number }): Promise<WebSocket> {
  const ws = new WebSocket(`${instance.url.replace("http:", "ws:")}/api/sessions/${sessionId}/trace`, { headers: { authorization: `Bearer ${INSTRUCTOR_TOKEN}` } });
  return new Promise((resolve, reject) => {
    ws.on("message", (data) => {
      const message = JSON.parse(data.toString()) as { type: string; nextSeq?: number; events?: unknown[] };
      if (message.type === "hello") {
        ws.send(JSON.stringify({ type: "subscribe", fromSeq: message.nextSeq }));
        resolve(ws);
      } else if (message.type === "events") counter.events += message.events!.length;
    });
    ws.once("error", reject);
  });
}

/** Keeps IN_FLIGHT commands in flight for `seconds`, to the instances by turns; answers 200 per second. */
async function load(instances: Instance[], sessions: string[], seconds: number): Promise<number> {
  let turn = 0;
  let ok = 0;
  const failures: string[] = [];
  const end = performance.now() + seconds * 1000;
  const worker = async (w: number) => {
    for (let n = w; performance.now() < end; n += IN_FLIGHT) {
      const instance = instances[turn++ % instances.length]!;
      const answer = await api(instance.url, "POST", `/api/sessions/${sessions[n % sessions.length]}/commands`, COMMAND);
      if (answer.status === 200) ok++;
      else failures.push(`${answer.status} ${JSON.stringify(answer.body)}`);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
  if (failures.length > 0) throw new Error(`${failures.length} commands failed, e.g. ${failures[0]}`);
  return ok / ((performance.now() - started) / 1000);
}

async function throughput(entry: string, redisUrl: string, count: number, databaseUrl: string, children: ChildProcess[]) {
  const instances: Instance[] = [];
  // One after the other: the first migrates the database.
  for (let i = 0; i < count; i++) {
    const instance = await startInstance(entry, `bench-${count}-${i}`, redisUrl, databaseUrl);
    children.push(instance.child);
    instances.push(instance);
  }
  const sessions: string[] = [];
  for (let i = 0; i < SESSIONS; i++) sessions.push((await api<{ id: string }>(instances[i % count]!.url, "POST", "/api/sessions", { labId: "bridge-two-containers" })).body.id);
  const counter = { events: 0 };
  // Each session's client on the next instance after its own: with more than one, every client watches through the fan-out.
  const sockets = await Promise.all(sessions.map((id, i) => traceClient(instances[(i + 1) % count]!, id, counter)));
  await load(instances, sessions, 1);
  const commands: number[] = [];
  const events: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = counter.events;
    const started = performance.now();
    commands.push(await load(instances, sessions, SECONDS));
    // Events still on their way when the load stops count for the round: wait for the trickle to end.
    let last = -1;
    while (counter.events !== last) {
      last = counter.events;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    events.push((counter.events - before) / ((performance.now() - started - 200) / 1000));
    console.log(`  ${count} instance(s), round ${round + 1}: ${Math.round(commands.at(-1)!)} commands/s, ${Math.round(events.at(-1)!)} events/s delivered`);
  }
  for (const ws of sockets) ws.terminate();
  await Promise.all(instances.map((i) => stopProcess(i.child)));
  return { commands: spread(commands), events: spread(events) };
}

async function failover(entry: string, redisUrl: string, databaseUrl: string, children: ChildProcess[]): Promise<{ min: number; median: number; max: number }> {
  const instances: Instance[] = [];
  for (let i = 0; i < 3; i++) {
    const instance = await startInstance(entry, `failover-${i}`, redisUrl, databaseUrl);
    children.push(instance.child);
    instances.push(instance);
  }
  const times: number[] = [];
  for (let round = 0; round < FAILOVERS; round++) {
    const victim = round % 3;
    const survivor = instances[(victim + 1) % 3]!;
    const id = (await api<{ id: string }>(instances[victim]!.url, "POST", "/api/sessions", { labId: "bridge-two-containers" })).body.id;
    for (let i = 0; i < 5; i++) await api(instances[victim]!.url, "POST", `/api/sessions/${id}/commands`, COMMAND);
    const killed = performance.now();
    await stopProcess(instances[victim]!.child, "SIGKILL");
    for (;;) {
      const answer = await api(survivor.url, "POST", `/api/sessions/${id}/commands`, COMMAND);
      if (answer.status === 200) break;
    }
    times.push(performance.now() - killed);
    console.log(`  failover ${round + 1}: ${Math.round(times.at(-1)!)} ms`);
    const restarted = await startInstance(entry, `failover-${victim}-${round}`, redisUrl, databaseUrl);
    children.push(restarted.child);
    instances[victim] = restarted;
  }
  await Promise.all(instances.map((i) => stopProcess(i.child)));
  return spread(times);
}

async function main(): Promise<void> {
  await mkdir(BUILD_DIR, { recursive: true });
  const buildDir = await mkdtemp(path.join(BUILD_DIR, "bench-"));
  const dataDir = await mkdtemp(path.join(tmpdir(), "cnlab-bench-cluster-"));
  const children: ChildProcess[] = [];
  const stops: Array<() => Promise<void>> = [];
  const databaseFor = (name: string) => process.env["BENCH_DATABASE_URL"] ?? `file:${path.join(dataDir, `${name}.db`)}`;
  try {
    const entry = await buildServer(buildDir);
    const redisUrl = await redisFor(stops);
    const database = process.env["BENCH_DATABASE_URL"] ? "the database at BENCH_DATABASE_URL" : "one SQLite file";
    console.log(
      `cnlab instances on ${database} and one Redis; \`${COMMAND.command}\` with ${IN_FLIGHT} in flight over ${SESSIONS} sessions, round-robin over the instances by the client; one trace WebSocket per session; ${ROUNDS} rounds of ${SECONDS} s`,
    );
    const rows: Array<[number, Awaited<ReturnType<typeof throughput>>]> = [];
    for (const count of [1, 2, 3]) rows.push([count, await throughput(entry, redisUrl, count, databaseFor(`throughput-${count}`), children)]);
    console.log(`\nfailover with 3 instances, CNLAB_LEASE_MS=${LEASE_MS}: kill -9 of the session's instance to the first command a survivor answers`);
    const failoverTimes = await failover(entry, redisUrl, databaseFor("failover"), children);

    const n = (x: number) => Math.round(x).toLocaleString("en-US");
    const triple = (s: { min: number; median: number; max: number }) => `${n(s.min)} / ${n(s.median)} / ${n(s.max)}`;
    console.log(`\n| instances | commands/s min / median / max | WebSocket events/s delivered min / median / max |`);
    console.log(`| --- | --- | --- |`);
    for (const [count, r] of rows) console.log(`| ${count} | ${triple(r.commands)} | ${triple(r.events)} |`);
    console.log(`\nfailover (ms) min / median / max: ${triple(failoverTimes)} (lease ${LEASE_MS} ms)`);
  } finally {
    await Promise.all(children.map((child) => stopProcess(child, "SIGKILL")));
    await Promise.all(stops.map((stop) => stop()));
    await rm(dataDir, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
  }
}

await main();
