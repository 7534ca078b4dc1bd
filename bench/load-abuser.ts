/**
 * The load test's abusive student (bench/load.ts), run in a worker thread of
 * the test's process, never in the server's. Until the deadline it does, all
 * at once, what one careless or hostile student (and an instructor grading
 * everyone meanwhile) can do with an ordinary token:
 *
 * - huge pings from nginx-1: `ping -c 100000 -s 65507`, then `-c 1000`, over and over;
 * - a bridge loop (docker0 and a new bridge br1 joined by two veth pairs, all
 *   up), then pings that flood through it;
 * - `ip link add dN type veth peer name eN`, one request each, up to a bound;
 * - many trace WebSockets on its heavy session, replaying it from seq 0, half
 *   of them never reading, each reopened when it closes (a bounded number of times);
 * - the heavy session's capture file, state and progress, each back to back;
 * - an instructor's grading run of the lab, followed to its end, again and again.
 *
 * Every answer is counted by action and outcome (status and error code, exit
 * code for commands, timeout, connection error); a refusal or a cut-short
 * command is a result, not a failure of the test. It judges nothing.
 */
import http from "node:http";
import { parentPort, workerData } from "node:worker_threads";
import {
  Tally,
  TraceWatcher,
  call,
  commandOutcome,
  emptyTraceStats,
  sleep,
  type AbuserReport,
  type AbuserWorkerData,
  type Answer,
  type CallOptions,
  type WorkerControl,
  type WorkerReady,
} from "./load-shared.js";

const LAB_ID = "bridge-two-containers";
const GRADING_POLL_MS = 1_000;
const GRADING_PAUSE_MS = 2_000;
/** Opens per trace socket in all, the first included. */
const OPENS_PER_SOCKET = 5;
const BRIDGE_LOOP_SETUP = [
  "ip link add br1 type bridge",
  "ip link add lpa1 type veth peer name lpb1",
  "ip link add lpa2 type veth peer name lpb2",
  "ip link set lpa1 master docker0",
  "ip link set lpa2 master docker0",
  "ip link set lpb1 master br1",
  "ip link set lpb2 master br1",
  "ip link set lpa1 up",
  "ip link set lpa2 up",
  "ip link set lpb1 up",
  "ip link set lpb2 up",
  "ip link set br1 up",
];
/** Through the loop: a known neighbour, and an address nobody has (its ARP broadcasts circle for ever). */
const BRIDGE_LOOP_PINGS = ["ping -c 1 172.17.0.3", "ping -c 3 172.17.0.99"];

const data = workerData as AbuserWorkerData;
const port = parentPort!;
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const tally = new Tally();
const trace = emptyTraceStats();
let pcapBytes = 0;

port.once("message", ({ deadline, hardStop }: WorkerControl) => {
  const running = () => Date.now() < deadline;
  /** The abuser waits for an answer as long as the run lasts: how long the server takes is the point. */
  const send = (options: Omit<CallOptions, "agent" | "port" | "timeoutMs">): Promise<Answer> =>
    call({ agent, port: data.port, timeoutMs: hardStop - Date.now(), ...options });

  const command = async (action: string, sessionId: string, step: { host: string; namespace?: string; command: string }): Promise<Answer> => {
    const answer = await send({ method: "POST", path: `/api/sessions/${sessionId}/commands`, token: data.token, body: step });
    const { outcome, events } = commandOutcome(answer);
    tally.add(action, outcome, answer.ms, events);
    return answer;
  };

  const hugePings = async () => {
    for (let k = 0; running(); k++) {
      const cmd = k % 2 === 0 ? "ping -c 100000 -s 65507 172.17.0.3" : "ping -c 1000 -s 65507 172.17.0.3";
      await command(cmd, data.sessions.heavy, { host: "node1", namespace: "nginx-1", command: cmd });
    }
  };

  const bridgeLoop = async () => {
    for (const cmd of BRIDGE_LOOP_SETUP) {
      if (!running()) return;
      await command("bridge loop: set up (ip link …)", data.sessions.loop, { host: "node1", command: cmd });
    }
    for (let k = 0; running(); k++) {
      const cmd = BRIDGE_LOOP_PINGS[k % BRIDGE_LOOP_PINGS.length]!;
      await command(`bridge loop: ${cmd}`, data.sessions.loop, { host: "node1", namespace: "nginx-1", command: cmd });
    }
  };

  const vethFlood = async () => {
    for (let n = 0; n < data.vethPairs && running(); n++) {
      await command("ip link add dN type veth peer name eN", data.sessions.veths, { host: "node1", command: `ip link add d${n} type veth peer name e${n}` });
    }
  };

  /** One of the heavy session's read routes, again and again (each in its own lane, so a slow one does not hide the others). */
  const repeatGet = async (what: "pcap" | "state" | "progress") => {
    while (running()) {
      const answer = await send({ method: "GET", path: `/api/sessions/${data.sessions.heavy}/${what}`, token: data.token, keepBody: false });
      tally.add(`GET /api/sessions/:id/${what}`, answer.outcome, answer.ms);
      if (what === "pcap" && answer.status === 200) pcapBytes += answer.bytes;
    }
  };

  const grading = async () => {
    while (running()) {
      const t0 = Date.now();
      const started = await send({ method: "POST", path: "/api/grading/runs", token: data.instructorToken, body: { labId: LAB_ID } });
      tally.add("POST /api/grading/runs (instructor)", started.outcome, started.ms);
      if (started.status !== 202) {
        await sleep(GRADING_PAUSE_MS, deadline);
        continue;
      }
      const { id } = JSON.parse(started.body) as { id: string };
      let status = "running";
      while (status === "running" && running()) {
        await sleep(GRADING_POLL_MS, deadline);
        const polled = await send({ method: "GET", path: `/api/grading/runs/${id}`, token: data.instructorToken });
        tally.add("GET /api/grading/runs/:id (instructor)", polled.outcome, polled.ms);
        if (polled.status === 200) status = (JSON.parse(polled.body) as { status: string }).status;
      }
      tally.add("grading run, from start to end", status === "running" ? "still running at the end" : status, Date.now() - t0);
      await sleep(GRADING_PAUSE_MS, deadline);
    }
  };

  const watchers = Array.from(
    { length: data.traceSockets },
    (_, k) =>
      new TraceWatcher({
        port: data.port,
        sessionId: data.sessions.heavy,
        token: data.token,
        stats: trace,
        parse: false,
        paused: k % 2 === 1,
        reopen: "always",
        maxOpens: OPENS_PER_SOCKET,
      }),
  );
  for (const w of watchers) w.start();

  void Promise.all([hugePings(), bridgeLoop(), vethFlood(), repeatGet("pcap"), repeatGet("state"), repeatGet("progress"), grading()]).then(() => {
    for (const w of watchers) w.stop();
    agent.destroy();
    port.postMessage({ type: "report", rows: tally.toRows(), trace, pcapBytes } satisfies AbuserReport);
  });
});
port.postMessage({ type: "ready" } satisfies WorkerReady);
