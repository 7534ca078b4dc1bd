/**
 * Trace clients for bench/ws.ts, run in a worker thread so that parsing what
 * they receive does not share the server's thread. Each client subscribes
 * live; the worker reports the lowest seq all its clients have reached, and
 * at the end every message's first seq, size and arrival time (taken as the
 * message arrives, before it is read).
 *
 * Two ways to read an `events` message (set with each `reset`):
 * - `json`: JSON.parse the whole of it, as a browser does;
 * - `seq`: only its first and last seq, read from the bytes. A hundred real
 *   clients parse on a hundred machines; here they would share the server's
 *   two cores, and the figure would be the clients' parsing more than the
 *   server's delivery. The seqs are still checked to follow on without a gap. A client the
 * server cuts off for lagging (4008) reconnects from lastSeq + 1, as the
 * protocol says a real client should; the reconnections are counted.
 */
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

export interface ClientsWorkerData {
  url: string;
  clients: number;
}

export type WorkerReport =
  | { type: "ready" }
  | { type: "progress"; next: number; received: number; reconnects: number }
  /** [first seq, events, wall time in ms since the epoch] per message. */
  | { type: "arrivals"; arrivals: [number, number, number][] };

export type ReadMode = "json" | "seq";

export type WorkerCommand = { type: "reset"; read: ReadMode } | { type: "report" } | { type: "close" };

const { url, clients } = workerData as ClientsWorkerData;
const port = parentPort!;
const now = () => performance.timeOrigin + performance.now();

const nexts: number[] = [];
let received = 0;
let reconnects = 0;
let arrivals: [number, number, number][] = [];
let reported = -1;
let read: ReadMode = "json";
const sockets: WebSocket[] = [];

function progress(): void {
  const next = Math.min(...nexts);
  if (next !== reported) {
    reported = next;
    port.postMessage({ type: "progress", next, received, reconnects } satisfies WorkerReport);
  }
}

/** Connects client i; subscribes live, or from `fromSeq` when it comes back after lagging. */
function connect(i: number, fromSeq: number | null): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const ws = new WebSocket(url);
    sockets[i] = ws;
    let lastSeq: number | null = null;
    ws.on("message", (data: Buffer) => {
      const arrived = now();
      if (read === "seq" && isEventsMessage(data)) {
        const [first, last] = seqRange(data);
        if (first !== nexts[i]) return reject(new Error(`client ${i}: seq ${first} after ${nexts[i]! - 1}`));
        arrivals.push([first, last - first + 1, arrived]);
        received += last - first + 1;
        nexts[i] = last + 1;
        return progress();
      }
      const message = JSON.parse(data.toString()) as { type: string; nextSeq?: number; lastSeq?: number; events?: { seq: number }[] };
      if (message.type === "hello") {
        if (fromSeq === null) nexts[i] = message.nextSeq!;
        ws.send(JSON.stringify({ type: "subscribe", fromSeq: fromSeq ?? message.nextSeq }));
        resolve();
      } else if (message.type === "events") {
        const events = message.events!;
        arrivals.push([events[0]!.seq, events.length, arrived]);
        received += events.length;
        nexts[i] = events[events.length - 1]!.seq + 1;
        progress();
      } else if (message.type === "lagged") {
        lastSeq = message.lastSeq!;
      } else {
        reject(new Error(`unexpected message: ${data.toString()}`));
      }
    });
    ws.on("close", (code) => {
      if (code !== 4008 || lastSeq === null || closing) return;
      reconnects++;
      void connect(i, lastSeq + 1);
    });
    ws.once("error", reject);
  });
}

const EVENTS_PREFIX = Buffer.from('{"type":"events","events":[{"seq":');
/** Every event object starts with its seq; a TCP layer's own "seq" comes after its "kind". */
const SEQ_KEY = Buffer.from('{"seq":');

function isEventsMessage(data: Buffer): boolean {
  return data.subarray(0, EVENTS_PREFIX.length).equals(EVENTS_PREFIX);
}

/** The first and last event's seq. */
function seqRange(data: Buffer): [number, number] {
  const last = data.lastIndexOf(SEQ_KEY);
  const digits = (at: number) => Number.parseInt(data.toString("latin1", at, at + 16), 10);
  return [digits(EVENTS_PREFIX.length), digits(last + SEQ_KEY.length)];
}

let closing = false;
await Promise.all(Array.from({ length: clients }, (_, i) => connect(i, null)));

port.on("message", (command: WorkerCommand) => {
  switch (command.type) {
    case "reset":
      read = command.read;
      received = 0;
      arrivals = [];
      break;
    case "report":
      port.postMessage({ type: "arrivals", arrivals } satisfies WorkerReport);
      break;
    case "close":
      closing = true;
      for (const ws of sockets) ws.terminate();
      port.close();
      break;
  }
});
port.postMessage({ type: "ready" } satisfies WorkerReport);
