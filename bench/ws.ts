/**
 * Trace fan-out over WebSocket (npm run bench): one session of the
 * two-container lab on the real server, built and started as `npm start`
 * does, in a process of its own (database, sessions, REST commands), and 100
 * clients subscribed live to its trace over loopback, run in two worker
 * threads of this process (bench/ws-clients.ts); on a 2-core machine they
 * still share the server's cores.
 *
 * - throughput: commands run back to back; events delivered per second,
 *   summed over the clients, until every client has the last one;
 * - latency: one command at a time, the next once every client has the last
 *   one's events; from sending the command to a client receiving each event
 *   (p50, p99 over every event at every client).
 *
 * Both are measured twice: with clients that read only each message's seqs
 * (the server's delivery: a hundred real clients parse on their own
 * machines), then with clients that JSON.parse every message, on the same
 * two cores as the server (see bench/ws-clients.ts).
 */
import type { ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import { BUILD_DIR, buildServer } from "../scripts/build-server.js";
import { freePort, startBuiltServer, stopProcess, waitForHealth } from "./built-server.js";
import type { ClientsWorkerData, ReadMode, WorkerCommand, WorkerReport } from "./ws-clients.js";

const CLIENTS = Number(process.env["CLIENTS"] ?? 100);
const WORKERS = 2;
const THROUGHPUT_SECONDS = 10;
const LATENCY_COMMANDS = 200;
const INSTRUCTOR_TOKEN = "cnlab_bench-instructor-token-000";
const COMMANDS = ["ping -c 3 -i 0.2 172.17.0.3", "curl -s http://172.17.0.3/", "ping -c 1 172.17.0.1"];

const now = () => performance.timeOrigin + performance.now();

interface ClientsWorker {
  worker: Worker;
  next: number;
  received: number;
  /** Clients that lagged, were cut off and came back. */
  reconnects: number;
  waiters: (() => void)[];
  command(c: WorkerCommand): void;
}

function startWorker(data: ClientsWorkerData): Promise<ClientsWorker> {
  // A worker does not get the TypeScript loader the main thread was started with: it loads its module through tsx's API.
  const entry = new URL("./ws-clients.ts", import.meta.url).href;
  const worker = new Worker(`import("tsx/esm/api").then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`, { eval: true, workerData: data });
  const w: ClientsWorker = { worker, next: 0, received: 0, reconnects: 0, waiters: [], command: (c) => worker.postMessage(c) };
  return new Promise((resolve, reject) => {
    worker.on("error", reject);
    worker.on("message", (report: WorkerReport) => {
      if (report.type === "ready") resolve(w);
      else if (report.type === "progress") {
        w.next = report.next;
        w.received = report.received;
        w.reconnects = report.reconnects;
        for (const wake of w.waiters.splice(0)) wake();
      }
    });
  });
}

/** How long the clients may take to catch up before the benchmark gives up instead of hanging. */
const CATCH_UP_MS = 120_000;

function reached(w: ClientsWorker, seq: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`clients stuck at seq ${w.next}, waiting for ${seq}, after ${CATCH_UP_MS / 1000} s`)), CATCH_UP_MS);
    const check = () => {
      if (w.next < seq) return void w.waiters.push(check);
      clearTimeout(timer);
      resolve();
    };
    check();
  });
}

function arrivals(w: ClientsWorker): Promise<[number, number, number][]> {
  return new Promise((resolve) => {
    const onReport = (report: WorkerReport) => {
      if (report.type !== "arrivals") return;
      w.worker.off("message", onReport);
      resolve(report.arrivals);
    };
    w.worker.on("message", onReport);
    w.command({ type: "report" });
  });
}

async function post<T>(url: string, urlPath: string, body: unknown): Promise<T> {
  const response = await fetch(`${url}${urlPath}`, {
    method: "POST",
    headers: { authorization: `Bearer ${INSTRUCTOR_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`POST ${urlPath}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function main(): Promise<void> {
  await mkdir(BUILD_DIR, { recursive: true });
  const buildDir = await mkdtemp(path.join(BUILD_DIR, "bench-"));
  const dir = await mkdtemp(path.join(tmpdir(), "cnlab-bench-"));
  const entry = await buildServer(buildDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const server = startBuiltServer(entry, {
    port,
    databaseUrl: `file:${path.join(dir, "bench.db")}`,
    logLevel: "silent",
    instructorToken: INSTRUCTOR_TOKEN,
    env: {
      // Every client is the instructor on one session: the stream limits must let them all in,
      // with room for a lagged client that reconnects before the server has seen its old socket close.
      CNLAB_MAX_STREAMS_PER_TOKEN: String(2 * CLIENTS),
      CNLAB_MAX_STREAMS_PER_SESSION: String(2 * CLIENTS),
      // One session runs every command of the benchmark and 100 clients replay it: neither its
      // storage quota (lifted by startBuiltServer) nor the replay pacing may shape what is measured here (fan-out).
      CNLAB_REPLAY_MB_PER_SECOND: "10000",
    },
  });
  try {
    await measure(url, server);
  } finally {
    await stopProcess(server);
    await rm(dir, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
  }
}

async function measure(url: string, server: ChildProcess): Promise<void> {
  await waitForHealth(url, server);
  const sessionId = (await post<{ id: string }>(url, "/api/sessions", { labId: "bridge-two-containers" })).id;

  const run = async (command: string): Promise<{ from: number; to: number }> =>
    (await post<{ events: { from: number; to: number } }>(url, `/api/sessions/${sessionId}/commands`, { host: "node1", namespace: "nginx-1", command })).events;
  // Warm the network and the code paths before measuring.
  for (const c of COMMANDS) await run(c);

  const traceUrl = `${url.replace("http", "ws")}/api/sessions/${sessionId}/trace?access_token=${INSTRUCTOR_TOKEN}`;
  const workers = await Promise.all(Array.from({ length: WORKERS }, (_, k) => startWorker({ url: traceUrl, clients: Math.floor(CLIENTS / WORKERS) + (k < CLIENTS % WORKERS ? 1 : 0) })));
  const allReached = (seq: number) => Promise.all(workers.map((w) => reached(w, seq)));

  const label = (s: string) => s.padEnd(58);
  for (const read of ["seq", "json"] as const satisfies readonly ReadMode[]) {
    const reading = read === "seq" ? "clients read seqs only" : "clients JSON.parse all";
    // Throughput.
    for (const w of workers) w.command({ type: "reset", read });
    const reconnectsBefore = workers.reduce((n, w) => n + w.reconnects, 0);
    const start = performance.now();
    let lastTo = 0;
    let commands = 0;
    while (performance.now() - start < THROUGHPUT_SECONDS * 1000) lastTo = (await run(COMMANDS[commands++ % COMMANDS.length]!)).to;
    await allReached(lastTo);
    const seconds = (performance.now() - start) / 1000;
    const delivered = workers.reduce((n, w) => n + w.received, 0);
    const reconnects = workers.reduce((n, w) => n + w.reconnects, 0) - reconnectsBefore;

    // Latency.
    for (const w of workers) w.command({ type: "reset", read });
    const sent: { from: number; to: number; at: number }[] = [];
    for (let k = 0; k < LATENCY_COMMANDS; k++) {
      const at = now();
      const range = await run(COMMANDS[k % COMMANDS.length]!);
      sent.push({ ...range, at });
      await allReached(range.to);
    }
    const latencies: number[] = [];
    for (const w of workers) {
      for (const [first, count, time] of await arrivals(w)) {
        const cmd = sent.find((s) => first >= s.from && first < s.to);
        if (cmd !== undefined) for (let n = 0; n < count; n++) latencies.push(time - cmd.at);
      }
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))]!;

    console.log(`${label(`WebSocket fan-out to ${CLIENTS} clients, ${reading}`)} ${Math.round(delivered / seconds).toLocaleString("en-US").padStart(12)} events/s delivered (${delivered} in ${seconds.toFixed(2)} s, ${commands} commands, ${reconnects} lag reconnects)`);
    console.log(`${label(`command to event at a client, p50`)} ${pct(50).toFixed(1).padStart(12)} ms`);
    console.log(`${label(`command to event at a client, p99`)} ${pct(99).toFixed(1).padStart(12)} ms (${latencies.length} deliveries, ${LATENCY_COMMANDS} commands)`);
  }

  for (const w of workers) w.command({ type: "close" });
  await Promise.all(workers.map((w) => new Promise((resolve) => w.worker.once("exit", resolve))));
}

await main();
