/**
 * What the load test's parts share (bench/load.ts, bench/load-students.ts,
 * bench/load-abuser.ts): the messages between the test and its worker
 * threads, one HTTP call with a deadline that never throws, a trace-stream
 * client, a tally of answers by action and outcome, percentiles and a seeded
 * random generator.
 *
 * Nothing here starts a server or decides what to send: it only carries
 * requests and counts their answers.
 */
import http from "node:http";
import { performance } from "node:perf_hooks";
import WebSocket from "ws";

/** Sent by a worker once loaded, and by the test to start it: the load runs until `deadline`, and nothing may still wait past `hardStop` (both ms since the epoch). */
export type WorkerControl = { type: "start"; deadline: number; hardStop: number };
export type WorkerReady = { type: "ready" };

export interface StudentsWorkerData {
  port: number;
  seed: number;
  students: { token: string; sessionId: string }[];
}

export interface AbuserWorkerData {
  port: number;
  seed: number;
  token: string;
  instructorToken: string;
  /** heavy: the big pings, the capture file, state, progress and the 50 trace sockets; loop: the bridge loop; veths: the mass `ip link add`. */
  sessions: { heavy: string; loop: string; veths: string };
  traceSockets: number;
  vethPairs: number;
}

/** One row of a tally: how many answers one action got with one outcome. */
export interface TallyRow {
  action: string;
  outcome: string;
  count: number;
  meanMs: number;
  maxMs: number;
  /** Trace events of the commands in this row (commands only), summed. */
  events: number;
}

export interface TraceSocketStats {
  /** Upgrades the server accepted. */
  opened: number;
  /** Upgrades refused, by HTTP status and error code, and connection errors. */
  refused: Record<string, number>;
  /** Closes not asked for by the client, by close code. */
  closes: Record<string, number>;
  messages: number;
  events: number;
  bytes: number;
  /** Clients cut off for lagging (4008) that came back from lastSeq + 1. */
  lagReconnects: number;
}

export interface StudentsReport {
  type: "report";
  /** Every command's latency in ms, answered or not (a timeout counts as the time waited). */
  latencies: number[];
  rows: TallyRow[];
  trace: TraceSocketStats;
}

export interface AbuserReport {
  type: "report";
  rows: TallyRow[];
  trace: TraceSocketStats;
  /** Bytes of capture files received. */
  pcapBytes: number;
}

export function emptyTraceStats(): TraceSocketStats {
  return { opened: 0, refused: {}, closes: {}, messages: 0, events: 0, bytes: 0, lagReconnects: 0 };
}

export function bump(counts: Record<string, number>, key: string, by = 1): void {
  counts[key] = (counts[key] ?? 0) + by;
}

/** Answers counted by action and outcome ("200", "429 RATE_LIMITED", "timeout" …). */
export class Tally {
  private readonly rows = new Map<string, TallyRow>();

  add(action: string, outcome: string, ms: number, events = 0): void {
    const key = `${action}\u0000${outcome}`;
    let row = this.rows.get(key);
    if (row === undefined) this.rows.set(key, (row = { action, outcome, count: 0, meanMs: 0, maxMs: 0, events: 0 }));
    row.meanMs += (ms - row.meanMs) / ++row.count;
    row.maxMs = Math.max(row.maxMs, ms);
    row.events += events;
  }

  toRows(): TallyRow[] {
    return [...this.rows.values()];
  }
}

/** What one HTTP call came to. `status` is null when there was no answer (`outcome` then says why: timeout, ECONNRESET …). */
export interface Answer {
  status: number | null;
  outcome: string;
  ms: number;
  /** The body as text, when kept and not over MAX_KEPT_BODY; else "". */
  body: string;
  bytes: number;
}

/** Bodies larger than this are counted, not kept (a capture file, a huge state). */
const MAX_KEPT_BODY = 4 * 1024 * 1024;

export interface CallOptions {
  agent: http.Agent;
  port: number;
  method: "GET" | "POST" | "DELETE";
  path: string;
  token?: string;
  body?: unknown;
  timeoutMs: number;
  /** false: count the body's bytes without keeping it. */
  keepBody?: boolean;
}

/**
 * One request to the server on 127.0.0.1. It never throws: a refusal is an
 * answer with its status and error code, and a timeout or a broken connection
 * is an answer without a status.
 */
export function call(options: CallOptions): Promise<Answer> {
  const { agent, port, method, path, token, timeoutMs, keepBody = true } = options;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  const headers: Record<string, string | number> = {};
  if (token !== undefined) headers["authorization"] = `Bearer ${token}`;
  if (payload !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = Buffer.byteLength(payload);
  }
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const settle = (answer: Omit<Answer, "ms">) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...answer, ms: performance.now() - started });
    };
    const failed = (err: Error) => settle({ status: null, outcome: (err as NodeJS.ErrnoException).code ?? err.message, body: "", bytes: 0 });
    const request = http.request({ agent, host: "127.0.0.1", port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      let bytes = 0;
      response.on("data", (chunk: Buffer) => {
        bytes += chunk.length;
        if (keepBody && bytes <= MAX_KEPT_BODY) chunks.push(chunk);
      });
      response.on("end", () => {
        const status = response.statusCode ?? 0;
        const body = keepBody && bytes <= MAX_KEPT_BODY ? Buffer.concat(chunks).toString("utf8") : "";
        settle({ status, outcome: status >= 400 ? `${status} ${errorCode(body)}` : String(status), body, bytes });
      });
      response.on("error", failed);
      response.on("aborted", () => failed(new Error("aborted")));
    });
    const timer = setTimeout(() => {
      settle({ status: null, outcome: "timeout", body: "", bytes: 0 });
      request.destroy();
    }, Math.max(0, timeoutMs));
    request.on("error", failed);
    request.end(payload);
  });
}

/** The API's `error.code`, or "?" for a body not in the error shape. */
export function errorCode(body: string): string {
  try {
    return String((JSON.parse(body) as { error?: { code?: unknown } }).error?.code ?? "?");
  } catch {
    return "?";
  }
}

/** The command route's answer, as far as the load test reads it. */
export interface CommandAnswer {
  exitCode: number;
  events: { from: number; to: number };
}

/** "200 exit=0" for a command that ran, else the call's own outcome; and how many trace events it caused. */
export function commandOutcome(answer: Answer): { outcome: string; events: number } {
  if (answer.status !== 200) return { outcome: answer.outcome, events: 0 };
  try {
    const { exitCode, events } = JSON.parse(answer.body) as CommandAnswer;
    return { outcome: `200 exit=${exitCode}`, events: events.to - events.from };
  } catch {
    return { outcome: "200 unreadable", events: 0 };
  }
}

/** The value at percentile p (0–100) of ascending `sorted`, nearest rank; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** mulberry32: a small seeded generator of floats in [0, 1), so every run sends the same load. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Waits `ms`, but never past `until` (ms since the epoch). */
export function sleep(ms: number, until = Number.POSITIVE_INFINITY): Promise<void> {
  const wait = Math.max(0, Math.min(ms, until - Date.now()));
  return new Promise((resolve) => setTimeout(resolve, wait));
}

export interface TraceWatcherOptions {
  port: number;
  sessionId: string;
  token: string;
  stats: TraceSocketStats;
  /** Parse every message and count its events (a student's terminal); false: count bytes only, parsing just the small control messages. */
  parse: boolean;
  /** Stop reading once subscribed: a client that never takes what it is sent. */
  paused: boolean;
  /** After a close the client did not ask for: "lag" resumes from lastSeq + 1 after a 4008, as the protocol says; "always" opens again from seq 0 a second later; "never". */
  reopen: "lag" | "always" | "never";
  /** Upgrades this watcher may attempt in all. */
  maxOpens: number;
}

/** One client of GET /api/sessions/:id/trace: says hello, subscribes, counts what arrives, and reopens as its options say until stopped. */
export class TraceWatcher {
  private socket: WebSocket | null = null;
  private stopped = false;
  private opens = 0;

  constructor(private readonly o: TraceWatcherOptions) {}

  start(): void {
    this.connect(0);
  }

  stop(): void {
    this.stopped = true;
    this.socket?.terminate();
  }

  private connect(fromSeq: number): void {
    if (this.stopped || this.opens >= this.o.maxOpens) return;
    this.opens++;
    const { stats } = this.o;
    const ws = new WebSocket(`ws://127.0.0.1:${this.o.port}/api/sessions/${this.o.sessionId}/trace`, {
      headers: { authorization: `Bearer ${this.o.token}` },
      handshakeTimeout: 10_000,
    });
    this.socket = ws;
    let opened = false;
    let refused = false;
    let lastSeq: number | null = null;
    ws.on("unexpected-response", (_request, response) => {
      refused = true;
      let body = "";
      response.on("data", (chunk: Buffer) => (body += chunk.toString()));
      response.on("end", () => {
        bump(stats.refused, `${response.statusCode ?? 0} ${errorCode(body)}`);
        ws.terminate();
      });
    });
    ws.on("open", () => {
      opened = true;
      stats.opened++;
    });
    ws.on("message", (data: Buffer) => {
      stats.messages++;
      stats.bytes += data.length;
      const text = data.toString("utf8", 0, Math.min(data.length, 40));
      if (text.startsWith('{"type":"events"')) {
        if (this.o.parse) stats.events += (JSON.parse(data.toString()) as { events: unknown[] }).events.length;
        return;
      }
      const message = JSON.parse(data.toString()) as { type: string; lastSeq?: number };
      if (message.type === "hello") {
        ws.send(JSON.stringify({ type: "subscribe", fromSeq }));
        if (this.o.paused) ws.pause();
      } else if (message.type === "lagged") {
        lastSeq = message.lastSeq ?? null;
      }
    });
    ws.on("error", (err: NodeJS.ErrnoException) => {
      if (!opened && !refused) bump(stats.refused, err.code ?? err.message);
    });
    ws.on("close", (code) => {
      if (this.stopped) return;
      if (opened) bump(stats.closes, String(code));
      if (this.o.reopen === "lag" && code === 4008 && lastSeq !== null) {
        stats.lagReconnects++;
        this.connect(lastSeq + 1);
      } else if (this.o.reopen === "always") {
        setTimeout(() => this.connect(0), 1_000);
      }
    });
  }
}
