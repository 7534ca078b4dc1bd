/**
 * The load test's ordinary students (bench/load.ts), run in a worker thread of
 * the test's process, never in the server's. Each student keeps its session's
 * trace open over WebSocket (resuming after a lag as the protocol says) and,
 * until the deadline, types a command of the bridge-two-containers
 * walkthrough, waits for the answer, and thinks 1 to 4 seconds (seeded, so
 * every run sends the same commands at the same pace).
 *
 * It reports every command's latency (answered or not) and the answers by
 * outcome; it judges nothing.
 */
import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import {
  Tally,
  TraceWatcher,
  call,
  commandOutcome,
  emptyTraceStats,
  seededRandom,
  sleep,
  type StudentsReport,
  type StudentsWorkerData,
  type WorkerControl,
  type WorkerReady,
} from "./load-shared.js";

/** What a student of this lab types, from its walkthrough and tasks (labs/bridge-two-containers.yaml). */
const COMMANDS: { host: string; namespace?: string; command: string }[] = [
  { host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" },
  { host: "node1", namespace: "nginx-1", command: "ip route" },
  { host: "node1", namespace: "nginx-1", command: "ip neigh" },
  { host: "node1", command: "bridge fdb show br docker0" },
  { host: "node1", namespace: "nginx-1", command: "curl -s http://172.17.0.3/" },
  { host: "node1", namespace: "nginx-1", command: "ifconfig" },
  { host: "node1", namespace: "nginx-1", command: "route -n" },
  { host: "node1", command: "ip link" },
  { host: "node1", command: "brctl show" },
  { host: "node1", command: "conntrack -L" },
  { host: "node1", namespace: "nginx-1", command: "ping -c 1 -s 2000 172.17.0.3" },
];
const THINK_MIN_MS = 1_000;
const THINK_SPREAD_MS = 3_000;
/** No command waits longer than this for its answer. */
const REQUEST_TIMEOUT_MS = 30_000;

const data = workerData as StudentsWorkerData;
const port = parentPort!;
const agent = new http.Agent({ keepAlive: true, maxSockets: data.students.length });
const tally = new Tally();
const latencies: number[] = [];
const trace = emptyTraceStats();

async function student(index: number, token: string, sessionId: string, deadline: number, hardStop: number): Promise<void> {
  const random = seededRandom(data.seed * 1_000 + index);
  const watcher = new TraceWatcher({ port: data.port, sessionId, token, stats: trace, parse: true, paused: false, reopen: "lag", maxOpens: 20 });
  watcher.start();
  // Students do not all start typing in the same second.
  await sleep(random() * THINK_SPREAD_MS, deadline);
  while (Date.now() < deadline) {
    const step = COMMANDS[Math.floor(random() * COMMANDS.length)]!;
    const answer = await call({
      agent,
      port: data.port,
      method: "POST",
      path: `/api/sessions/${sessionId}/commands`,
      token,
      body: step,
      timeoutMs: Math.min(REQUEST_TIMEOUT_MS, hardStop - Date.now()),
    });
    const { outcome, events } = commandOutcome(answer);
    latencies.push(answer.ms);
    tally.add(`${step.namespace ?? step.host}: ${step.command}`, outcome, answer.ms, events);
    await sleep(THINK_MIN_MS + random() * THINK_SPREAD_MS, deadline);
  }
  watcher.stop();
}

port.once("message", (control: WorkerControl) => {
  void Promise.all(data.students.map((s, i) => student(i, s.token, s.sessionId, control.deadline, control.hardStop))).then(() => {
    agent.destroy();
    port.postMessage({ type: "report", latencies, rows: tally.toRows(), trace } satisfies StudentsReport);
  });
});
port.postMessage({ type: "ready" } satisfies WorkerReady);
