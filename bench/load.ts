/**
 * Load test (npm run bench:load): one class on one server, with one student
 * abusing it. It starts the real server as a child process (`npm start`'s node
 * arguments, a temporary SQLite file, every limit at its classroom default:
 * the rate limits are part of what protects the class, and no ordinary student
 * comes near them), makes 60 student tokens through the API, each starting a
 * bridge-two-containers session, and then for LOAD_SECONDS (default 60):
 *
 * - 59 ordinary students (bench/load-students.ts, a worker thread) watch their
 *   trace over WebSocket and type walkthrough commands with 1–4 s of thought;
 * - one abusive student (bench/load-abuser.ts, another worker thread) sends
 *   huge pings, builds a bridge loop, adds veth pairs by the thousand, opens 50
 *   trace sockets, pulls capture files, state and progress, while an
 *   instructor grades the lab;
 * - this thread polls GET /health every 50 ms and samples the server's
 *   resident memory (VmRSS of it and its child processes) every 250 ms.
 *
 * Then it stops the server (SIGTERM; SIGKILL if it does not stop) and reports
 * the ordinary students' command latency, /health latency (and when its slowest polls came), the server's peak
 * memory, the database's growth and the abuser's stored bytes, and the
 * abuser's answers by status and code; as a table, and as JSON to the file
 * LOAD_REPORT names (optional). It checks three targets and prints PASS or
 * FAIL for each: others' p99 < 300 ms, /health max < 100 ms, peak RSS < 1.5 GiB.
 *
 * Exit code: 0 every target passed, 1 some failed, 2 the test itself could
 * not run (the server did not start, a worker failed). Everything it does is
 * bounded in count and time and stays on 127.0.0.1: after the set-up it ends
 * within LOAD_SECONDS + 30 s (10 s for answers still due, 15 s for the server
 * to stop, then SIGKILL), whatever state the server is in; the generators never run
 * in the server's process. It is a measurement, not a unit test: it runs no
 * assertions on the server's answers, and a refused or cut-short abusive
 * request is a result, not an error.
 *
 * LOAD_SECONDS (1–3600, default 60), LOAD_SEED (default 1), LOAD_REPORT (a
 * file for the JSON), LOAD_RSS_ABORT_MB (default 4096: past it the server is
 * killed so that a runaway cannot take the machine down; the report says so),
 * LOAD_CPU_PROFILE (a folder: the server's main thread writes a V8 CPU profile
 * there when it stops, to see what still costs it; Node refuses --cpu-prof in
 * NODE_OPTIONS, hence the setting).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { buildServer } from "../scripts/build-server.js";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3";
import { CONFIG_DEFAULTS } from "../server/config.js";
import {
  bump,
  call,
  percentile,
  sleep,
  type AbuserReport,
  type AbuserWorkerData,
  type Answer,
  type StudentsReport,
  type StudentsWorkerData,
  type TallyRow,
  type TraceSocketStats,
  type WorkerControl,
} from "./load-shared.js";

const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const STUDENTS = 60;
const LAB_ID = "bridge-two-containers";
const INSTRUCTOR_TOKEN = "cnlab_load-test-instructor-0001";
const ABUSER_TRACE_SOCKETS = 50;
const ABUSER_VETH_PAIRS = 2_000;
const HEALTH_EVERY_MS = 50;
const RSS_EVERY_MS = 250;
/** After the deadline, answers still due may take this long before everything is cut. */
const DRAIN_MS = 10_000;
const START_TIMEOUT_MS = 60_000;
const SETUP_TIMEOUT_MS = 30_000;
const SETUP_CONCURRENCY = 8;
/** SIGTERM, then this long for a clean stop before SIGKILL (the server's own shutdown gives up after 10 s). */
const STOP_TIMEOUT_MS = 15_000;
const MIB = 1024 * 1024;

const TARGETS = {
  othersP99Ms: 300,
  healthMaxMs: 100,
  peakRssBytes: 1.5 * 1024 * MIB,
};

function integerEnv(name: string, fallback: number, min: number, max: number): number {
  const text = process.env[name]?.trim();
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!/^[0-9]+$/.test(text) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}; got ${JSON.stringify(text)}`);
  return value;
}

// ---------------------------------------------------------------- the server

interface ServerProcess {
  child: ChildProcess;
  port: number;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Log lines by pino level name, and the last warnings and errors. */
  log: { counts: Record<string, number>; last: string[] };
  stderr: () => string;
}

const PINO_LEVELS: Record<number, string> = { 10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/**
 * `npm start` is `node <args>`: the same args, on this node binary, so the server runs as it does in production.
 * It sees none of the server's settings the shell may export (a developer's own PORT or CNLAB_… values):
 * only those set here, the rest at their defaults.
 */
function startServer(databaseFile: string, port: number): ServerProcess {
  const start = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start;
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !(name in CONFIG_DEFAULTS) && !name.startsWith("CNLAB_")));
  const profile = process.env.LOAD_CPU_PROFILE;
  const profileArgs = profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${path.resolve(profile)}`];
  const child = spawn(process.execPath, [...profileArgs, ...start.split(" ").slice(1)], {
    cwd: PROJECT_ROOT,
    env: {
      ...inherited,
      PORT: String(port),
      HOST: "127.0.0.1",
      DATABASE_URL: `file:${databaseFile}`,
      LOG_LEVEL: "warn",
      CNLAB_INSTRUCTOR_TOKEN: INSTRUCTOR_TOKEN,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log = { counts: {} as Record<string, number>, last: [] as string[] };
  let pending = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split("\n");
    pending = lines.pop()!;
    for (const line of lines) {
      let level = "plain";
      try {
        level = PINO_LEVELS[(JSON.parse(line) as { level?: number }).level ?? 0] ?? "other";
      } catch {
        // Not a log line (the server prints a few plain lines at start).
      }
      bump(log.counts, level);
      if (level !== "info" && level !== "plain") log.last = [...log.last.slice(-9), line.slice(0, 400)];
    }
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, port, exited, log, stderr: () => stderr };
}

function running(server: ServerProcess): boolean {
  return server.child.exitCode === null && server.child.signalCode === null;
}

async function waitUntilHealthy(server: ServerProcess, agent: http.Agent): Promise<void> {
  const giveUp = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < giveUp) {
    if (!running(server)) throw new Error(`the server exited before answering /health: ${server.stderr().trim()}`);
    const answer = await call({ agent, port: server.port, method: "GET", path: "/health", timeoutMs: 2_000 });
    if (answer.status === 200) return;
    await sleep(100);
  }
  throw new Error(`the server did not answer /health within ${START_TIMEOUT_MS / 1000} s`);
}

interface StopResult {
  how: "exited after SIGTERM" | "killed after SIGTERM was not enough" | "had already exited";
  ms: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

async function stopServer(server: ServerProcess): Promise<StopResult> {
  const started = Date.now();
  if (!running(server)) return { how: "had already exited", ms: 0, ...(await server.exited) };
  server.child.kill("SIGTERM");
  const stopped = await Promise.race([server.exited, sleep(STOP_TIMEOUT_MS).then(() => null)]);
  if (stopped !== null) return { how: "exited after SIGTERM", ms: Date.now() - started, ...stopped };
  server.child.kill("SIGKILL");
  return { how: "killed after SIGTERM was not enough", ms: Date.now() - started, ...(await server.exited) };
}

// ---------------------------------------------------------------- memory and disk

/** The server's process and every process under it (if it ever runs parts of itself as processes). */
function processTree(pid: number): number[] {
  const pids = [pid];
  for (let i = 0; i < pids.length; i++) {
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${pids[i]}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${pids[i]}/task/${task}/children`, "utf8").trim().split(/\s+/)) if (child !== "") pids.push(Number(child));
      } catch {
        // The task ended while we looked.
      }
    }
  }
  return pids;
}

/** A field of /proc/<pid>/status in bytes (it is given in kB); 0 when the process is gone. */
function statusBytes(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

interface MemoryWatch {
  peakBytes: number;
  /** The kernel's own high-water mark of the server's main process, which also sees peaks between samples. */
  hwmBytes: number;
  samples: number;
  /** Set when the server passed LOAD_RSS_ABORT_MB and was killed. */
  killedAtBytes: number | null;
  stop(): void;
}

function watchMemory(server: ServerProcess, abortBytes: number): MemoryWatch {
  const pid = server.child.pid!;
  const watch: MemoryWatch = { peakBytes: 0, hwmBytes: 0, samples: 0, killedAtBytes: null, stop: () => clearInterval(timer) };
  const sample = () => {
    if (!running(server)) return;
    const rss = processTree(pid).reduce((sum, p) => sum + statusBytes(p, "VmRSS"), 0);
    watch.samples++;
    watch.peakBytes = Math.max(watch.peakBytes, rss);
    watch.hwmBytes = Math.max(watch.hwmBytes, statusBytes(pid, "VmHWM"));
    if (rss > abortBytes && watch.killedAtBytes === null) {
      watch.killedAtBytes = rss;
      server.child.kill("SIGKILL");
    }
  };
  const timer = setInterval(sample, RSS_EVERY_MS);
  sample();
  return watch;
}

/** The database on disk: the file and its write-ahead log. */
function databaseBytes(file: string): number {
  return [file, `${file}-wal`].reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0);
}

interface StoredBytes {
  sessionId: string;
  /** The server's own count (Session.storedBytes), or null when the database has no such column yet. */
  storedBytes: number | null;
  /** Output and events of its command rows, as bytes of text, counted here. */
  commandBytes: number;
  commands: number;
}

/** What the sessions hold in the database, read after the server has stopped. */
function storedBytes(file: string, sessionIds: string[]): StoredBytes[] {
  const db = new Database(file, { fileMustExist: true });
  try {
    const columns = db.prepare(`PRAGMA table_info("Session")`).all() as { name: string }[];
    const hasStoredBytes = columns.some((c) => c.name === "storedBytes");
    const session = db.prepare(`SELECT ${hasStoredBytes ? `"storedBytes"` : "NULL"} AS stored FROM "Session" WHERE "id" = ?`);
    const rows = db.prepare(
      `SELECT COUNT(*) AS commands, COALESCE(SUM(length(CAST("output" AS BLOB)) + length(CAST("events" AS BLOB))), 0) AS bytes FROM "SessionCommand" WHERE "sessionId" = ?`,
    );
    return sessionIds.map((sessionId) => {
      const s = session.get(sessionId) as { stored: number | null } | undefined;
      const r = rows.get(sessionId) as { commands: number; bytes: number };
      return { sessionId, storedBytes: s?.stored ?? null, commandBytes: r.bytes, commands: r.commands };
    });
  } finally {
    db.close();
  }
}

// ---------------------------------------------------------------- setup through the API

interface Student {
  name: string;
  token: string;
  sessionId: string;
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i]!);
      }
    }),
  );
  return results;
}

function expect(answer: Answer, status: number, what: string): Answer {
  if (answer.status !== status) throw new Error(`${what}: expected ${status}, got ${answer.outcome} ${answer.body.slice(0, 300)}`);
  return answer;
}

async function setUpClass(port: number, agent: http.Agent): Promise<{ students: Student[]; abuserExtra: { loop: string; veths: string } }> {
  const post = (urlPath: string, token: string, body: unknown) => call({ agent, port, method: "POST", path: urlPath, token, body, timeoutMs: SETUP_TIMEOUT_MS });
  const startSession = async (token: string, who: string) =>
    (JSON.parse(expect(await post("/api/sessions", token, { labId: LAB_ID }), 201, `session for ${who}`).body) as { id: string }).id;
  const students = await mapLimited(
    Array.from({ length: STUDENTS }, (_, i) => `load student ${String(i + 1).padStart(2, "0")}`),
    SETUP_CONCURRENCY,
    async (name) => {
      const { token } = JSON.parse(expect(await post("/api/tokens", INSTRUCTOR_TOKEN, { name, role: "student" }), 201, `token for ${name}`).body) as { token: string };
      return { name, token, sessionId: await startSession(token, name) };
    },
  );
  const abuser = students[STUDENTS - 1]!;
  return { students, abuserExtra: { loop: await startSession(abuser.token, abuser.name), veths: await startSession(abuser.token, abuser.name) } };
}

// ---------------------------------------------------------------- workers

interface LoadWorker<R> {
  worker: Worker;
  ready: Promise<void>;
  /** The worker's report, or an Error when it failed or did not report by the hard stop. */
  report: Promise<R | Error>;
}

function startWorker<R>(file: string, data: StudentsWorkerData | AbuserWorkerData): LoadWorker<R> {
  // A worker does not get the TypeScript loader this thread was started with: it loads its module through tsx's API.
  const entry = new URL(file, import.meta.url).href;
  const worker = new Worker(`import("tsx/esm/api").then((tsx) => tsx.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}))`, { eval: true, workerData: data });
  const failed = new Promise<Error>((resolve) => {
    worker.once("error", resolve);
    worker.once("exit", (code) => resolve(new Error(`${file} exited (${code}) without a report`)));
  });
  const message = (type: string) => new Promise<unknown>((resolve) => worker.on("message", (m: { type: string }) => m.type === type && resolve(m)));
  return {
    worker,
    ready: Promise.race([message("ready"), failed.then((err) => Promise.reject(err))]).then(() => undefined),
    report: Promise.race([message("report") as Promise<R>, failed]),
  };
}

// ---------------------------------------------------------------- /health

interface HealthPolls {
  latencies: number[];
  outcomes: Record<string, number>;
  /** The slowest polls, slowest first: how long each took, and when it was sent, seconds after the load began. */
  slowest: { ms: number; atS: number }[];
}

/** How many of the slowest /health polls the report names, with when they came. */
const SLOWEST_POLLS = 5;

/** GET /health every HEALTH_EVERY_MS (or as soon as the previous answer comes, when it took longer) until `done` resolves. */
async function pollHealth(port: number, done: Promise<unknown>, hardStop: number): Promise<HealthPolls> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const polls: HealthPolls = { latencies: [], outcomes: {}, slowest: [] };
  const began = Date.now();
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    const sentAt = Date.now();
    const answer = await call({ agent, port, method: "GET", path: "/health", timeoutMs: Math.max(1_000, Math.min(30_000, hardStop - Date.now())) });
    polls.latencies.push(answer.ms);
    polls.slowest.push({ ms: answer.ms, atS: (sentAt - began) / 1000 });
    polls.slowest.sort((a, b) => b.ms - a.ms);
    polls.slowest.length = Math.min(polls.slowest.length, SLOWEST_POLLS);
    bump(polls.outcomes, answer.outcome);
    await sleep(HEALTH_EVERY_MS - answer.ms);
  }
  agent.destroy();
  return polls;
}

// ---------------------------------------------------------------- the report

interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

function summarize(values: number[]): Latency {
  const sorted = [...values].sort((a, b) => a - b);
  return { count: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]! };
}

function outcomes(rows: TallyRow[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const row of rows) bump(counts, row.outcome, row.count);
  return counts;
}

const ms = (v: number) => (Number.isNaN(v) ? "—" : `${v.toFixed(1)} ms`);
const mib = (v: number) => `${(v / MIB).toFixed(1)} MiB`;
const counts = (c: Record<string, number>) =>
  Object.entries(c)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ×${n}`)
    .join(", ") || "none";
const traceLine = (t: TraceSocketStats) =>
  `${t.opened} opened, ${t.messages} messages, ${mib(t.bytes)}${t.events > 0 ? `, ${t.events} events` : ""}, ${t.lagReconnects} lag resumes; refused: ${counts(t.refused)}; closed by the server: ${counts(t.closes)}`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => (c === 0 || c === 1 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ").trimEnd()).join("\n");
}

// ---------------------------------------------------------------- main

async function main(): Promise<number> {
  const seconds = integerEnv("LOAD_SECONDS", 60, 1, 3_600);
  const seed = integerEnv("LOAD_SEED", 1, 0, 2 ** 31 - 1);
  const abortBytes = integerEnv("LOAD_RSS_ABORT_MB", 4_096, 256, 1_048_576) * MIB;
  const reportFile = process.env["LOAD_REPORT"]?.trim() || null;

  const dir = mkdtempSync(path.join(tmpdir(), "cnlab-load-"));
  const databaseFile = path.join(dir, "load.db");
  const port = await freePort();
  // npm start runs build/: built now, so the run measures the sources as they are.
  await buildServer();
  const server = startServer(databaseFile, port);
  const killServer = () => {
    if (running(server)) server.child.kill("SIGKILL");
  };
  process.once("exit", killServer);
  process.once("SIGINT", () => {
    killServer();
    rmSync(dir, { recursive: true, force: true });
    process.exit(130);
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: SETUP_CONCURRENCY });
  try {
    await waitUntilHealthy(server, agent);
    const memory = watchMemory(server, abortBytes);
    console.log(`cnlab load test: server pid ${server.child.pid} on 127.0.0.1:${port}; ${STUDENTS} students (${STUDENTS - 1} ordinary, 1 abusive), ${seconds} s, seed ${seed}`);

    const { students, abuserExtra } = await setUpClass(port, agent);
    agent.destroy();
    const others = students.slice(0, STUDENTS - 1);
    const abuser = students[STUDENTS - 1]!;
    const abuserSessions = { heavy: abuser.sessionId, ...abuserExtra };

    const studentsWorker = startWorker<StudentsReport>("./load-students.ts", {
      port,
      seed,
      students: others.map(({ token, sessionId }) => ({ token, sessionId })),
    });
    const abuserWorker = startWorker<AbuserReport>("./load-abuser.ts", {
      port,
      seed,
      token: abuser.token,
      instructorToken: INSTRUCTOR_TOKEN,
      sessions: abuserSessions,
      traceSockets: ABUSER_TRACE_SOCKETS,
      vethPairs: ABUSER_VETH_PAIRS,
    });
    await Promise.all([studentsWorker.ready, abuserWorker.ready]);

    const dbStart = databaseBytes(databaseFile);
    const deadline = Date.now() + seconds * 1_000;
    const hardStop = deadline + DRAIN_MS;
    const start: WorkerControl = { type: "start", deadline, hardStop };
    studentsWorker.worker.postMessage(start);
    abuserWorker.worker.postMessage(start);
    console.log(`load running until ${new Date(deadline).toISOString()} …`);

    // Nothing waits past the hard stop (and a little for the workers to post their reports).
    const cutOff = sleep(hardStop + 5_000 - Date.now()).then(() => new Error("no report by the hard stop"));
    const reports = Promise.all([Promise.race([studentsWorker.report, cutOff]), Promise.race([abuserWorker.report, cutOff])]);
    let dbEnd = dbStart;
    void sleep(deadline - Date.now()).then(() => (dbEnd = databaseBytes(databaseFile)));
    const health = await pollHealth(port, reports, hardStop);
    const [studentsReport, abuserReport] = await reports;
    await Promise.all([studentsWorker.worker.terminate(), abuserWorker.worker.terminate()]);
    if (Date.now() < deadline) dbEnd = databaseBytes(databaseFile);

    memory.stop();
    const stop = await stopServer(server);
    const dbAfterShutdown = databaseBytes(databaseFile);
    const stored = storedBytes(databaseFile, [abuserSessions.heavy, abuserSessions.loop, abuserSessions.veths, ...others.map((s) => s.sessionId)]);
    const abuserStored = stored.slice(0, 3);
    const othersStored = stored.slice(3);

    // ---- figures
    const problems: string[] = [];
    if (studentsReport instanceof Error) problems.push(`students: ${studentsReport.message}`);
    if (abuserReport instanceof Error) problems.push(`abuser: ${abuserReport.message}`);
    const studentsResult = studentsReport instanceof Error ? null : studentsReport;
    const abuserResult = abuserReport instanceof Error ? null : abuserReport;
    const othersLatency = summarize(studentsResult?.latencies ?? []);
    const healthLatency = summarize(health.latencies);
    const storedOf = (s: StoredBytes) => s.storedBytes ?? s.commandBytes;
    const targets = [
      { target: `others' command p99 < ${TARGETS.othersP99Ms} ms`, value: othersLatency.p99, shown: ms(othersLatency.p99), pass: othersLatency.p99 < TARGETS.othersP99Ms },
      { target: `/health max < ${TARGETS.healthMaxMs} ms`, value: healthLatency.max, shown: ms(healthLatency.max), pass: healthLatency.max < TARGETS.healthMaxMs },
      {
        target: `server peak RSS < ${(TARGETS.peakRssBytes / 1024 / MIB).toFixed(1)} GiB`,
        value: memory.peakBytes,
        shown: mib(memory.peakBytes) + (memory.killedAtBytes !== null ? " (killed at the safety limit)" : ""),
        pass: memory.peakBytes < TARGETS.peakRssBytes && memory.killedAtBytes === null,
      },
    ];

    const report = {
      finishedAt: new Date().toISOString(),
      settings: { seconds, seed, students: STUDENTS, lab: LAB_ID, abuserTraceSockets: ABUSER_TRACE_SOCKETS, abuserVethPairs: ABUSER_VETH_PAIRS, healthEveryMs: HEALTH_EVERY_MS, rssEveryMs: RSS_EVERY_MS },
      others: { latencyMs: othersLatency, outcomes: outcomes(studentsResult?.rows ?? []), commands: studentsResult?.rows ?? [], trace: studentsResult?.trace ?? null, storedBytes: othersStored.reduce((n, s) => n + storedOf(s), 0) },
      health: { latencyMs: healthLatency, outcomes: health.outcomes, slowest: health.slowest },
      server: {
        peakRssBytes: memory.peakBytes,
        vmHwmBytes: memory.hwmBytes,
        rssSamples: memory.samples,
        killedForMemoryAtBytes: memory.killedAtBytes,
        shutdown: stop,
        log: server.log.counts,
        lastWarnings: server.log.last,
        stderr: server.stderr().slice(-1_000),
      },
      database: { startBytes: dbStart, endBytes: dbEnd, growthBytes: dbEnd - dbStart, afterShutdownBytes: dbAfterShutdown },
      abuser: {
        sessions: { heavy: abuserStored[0]!, loop: abuserStored[1]!, veths: abuserStored[2]! },
        storedBytes: abuserStored.reduce((n, s) => n + storedOf(s), 0),
        answers: abuserResult?.rows ?? [],
        outcomes: outcomes(abuserResult?.rows ?? []),
        trace: abuserResult?.trace ?? null,
        pcapBytes: abuserResult?.pcapBytes ?? 0,
      },
      targets,
      problems,
    };

    // ---- the table
    const lines: string[] = [""];
    lines.push(
      table([
        ["figure", "value"],
        ["others' commands", `${othersLatency.count} answered or timed out; p50 ${ms(othersLatency.p50)}, p99 ${ms(othersLatency.p99)}, max ${ms(othersLatency.max)}`],
        ["others' outcomes", counts(report.others.outcomes)],
        ["others' trace sockets", studentsResult === null ? "—" : traceLine(studentsResult.trace)],
        ["GET /health", `${healthLatency.count} polls; p50 ${ms(healthLatency.p50)}, p99 ${ms(healthLatency.p99)}, max ${ms(healthLatency.max)}; ${counts(health.outcomes)}`],
        ["slowest /health polls", health.slowest.map((poll) => `${ms(poll.ms)} at ${poll.atS.toFixed(1)} s`).join(", ")],
        ["server peak RSS", `${mib(memory.peakBytes)} sampled every ${RSS_EVERY_MS} ms (kernel high-water mark ${mib(memory.hwmBytes)})${memory.killedAtBytes !== null ? `; KILLED at ${mib(memory.killedAtBytes)}` : ""}`],
        ["database (.db + -wal)", `${mib(dbStart)} at start → ${mib(dbEnd)} at the deadline (+${mib(dbEnd - dbStart)}); ${mib(dbAfterShutdown)} after shutdown`],
        [
          "abuser's stored bytes",
          `${mib(report.abuser.storedBytes)}: ` +
            (["heavy", "loop", "veths"] as const).map((k) => `${k} ${mib(storedOf(report.abuser.sessions[k]))} in ${report.abuser.sessions[k].commands} command${report.abuser.sessions[k].commands === 1 ? "" : "s"}`).join(", "),
        ],
        ["others' stored bytes", `${mib(report.others.storedBytes)} over ${others.length} sessions`],
        ["abuser's trace sockets", abuserResult === null ? "—" : traceLine(abuserResult.trace)],
        ["abuser's capture files", mib(report.abuser.pcapBytes)],
        ["server shutdown", `${stop.how} in ${(stop.ms / 1000).toFixed(1)} s (exit ${stop.code ?? stop.signal})`],
        ["server log", Object.keys(server.log.counts).length === 0 ? "nothing at warn or above" : counts(server.log.counts)],
      ]),
    );
    lines.push("", "abuser's answers:");
    const abuserRows = [...(abuserResult?.rows ?? [])].sort((a, b) => a.action.localeCompare(b.action) || b.count - a.count);
    lines.push(
      table([
        ["action", "outcome", "count", "mean", "max", "events"],
        ...abuserRows.map((r) => [r.action, r.outcome, String(r.count), ms(r.meanMs), ms(r.maxMs), r.events > 0 ? String(r.events) : ""]),
      ]).replace(/^/gm, "  "),
    );
    if (server.log.last.length > 0) lines.push("", "server's last warnings and errors:", ...server.log.last.map((l) => `  ${l}`));
    lines.push("", "targets:", ...targets.map((t) => `  ${t.pass ? "PASS" : "FAIL"}  ${t.target.padEnd(34)} ${t.shown}`));
    for (const p of problems) lines.push(`  PROBLEM  ${p}`);
    console.log(lines.join("\n"));
    if (reportFile !== null) {
      writeFileSync(reportFile, `${JSON.stringify(report, null, 2)}\n`);
      console.log(`\nJSON report written to ${reportFile}`);
    }
    if (problems.length > 0) return 2;
    return targets.every((t) => t.pass) ? 0 : 1;
  } finally {
    killServer();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
    // Sockets the server left half-open must not keep the test alive.
    setTimeout(() => process.exit(code), 1_000).unref();
  },
  (err: unknown) => {
    console.error(`load test could not run: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(2);
  },
);
