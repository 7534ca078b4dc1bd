/**
 * One client's view of a session's trace: replay from the store, then live,
 * in seq order, never a duplicate and never a gap, and never more than a
 * bounded amount held for a client that reads slowly.
 *
 * The hand-over from replay to live is the delicate part. The stream
 * subscribes to live batches before its first read of the store and keeps
 * what arrives meanwhile (the "outbox"); once a read finds the store's end, the
 * outbox holds everything committed since, and events already sent are
 * dropped by seq. If the outbox overflows while replaying, it is thrown away
 * and the store is read again: the store has everything, so skipping there is
 * free. Once live, an outbox that overflows means the client does not keep
 * up: it gets a `lagged` message with the last seq the stream dealt with and
 * the socket closes with code 4008; it may reconnect with fromSeq = lastSeq + 1.
 *
 * The socket's own buffer is kept under a high-water mark: the stream sends
 * while the socket has less than that waiting, then waits for the socket to
 * write out before sending more. (A caught-up client takes a live batch,
 * at most a command's chunk, whole: it may pass the mark by that much.)
 *
 * What it does not do: authenticate, parse client messages or keep the
 * connection alive (the route does), or know where events are stored (a
 * TraceSource does).
 */
import { layerKindsOf, serializeEvent, type TraceEvent } from "../engine/index.js";
import type { ReplayPacer } from "./replay-bandwidth.js";
import type { StreamEvent } from "./session-service.js";

/** Where a session's events come from: its store and its live feed. */
export interface TraceSource {
  /** Stored events with seq ≥ fromSeq, in seq order, at most `limit`. */
  eventsSince(fromSeq: number, limit: number): Promise<StreamEvent[]>;
  /** Batches committed from now on, in seq order; returns the unsubscribe function. */
  subscribe(listener: (events: readonly StreamEvent[]) => void): () => void;
}

/** The part of a WebSocket the stream uses (the `ws` library's WebSocket has it). */
export interface StreamSocket {
  readonly readyState: number;
  /** Bytes waiting in the socket to be written out. */
  readonly bufferedAmount: number;
  send(data: Buffer, options: { binary: false }, cb?: (err?: Error) => void): void;
  close(code?: number, reason?: string): void;
}

/** Which events a client wants: each given list must match (an event passes when it is in every list given). */
export interface TraceFilter {
  hosts?: string[];
  namespaces?: string[];
  /** Device names (`eth0`, `docker0`); events with no device never match. */
  devices?: string[];
  kinds?: string[];
  /** Layer kinds (`arp`, `icmp`, `tcp` …): the event's decoded frame has one of them. Events without a frame never match. */
  protocols?: string[];
}

export interface TraceStreamOptions {
  /** Events per store read and at most per `events` message. */
  pageSize: number;
  /** Bytes the socket may hold unwritten before the stream waits for it to drain. */
  socketHighWater: number;
  /** Live events held for one client beyond its socket before it is told it lagged. */
  maxQueuedEvents: number;
  /** The same limit in bytes of JSON. */
  maxQueuedBytes: number;
}

export const DEFAULT_TRACE_STREAM_OPTIONS: TraceStreamOptions = {
  pageSize: 500,
  socketHighWater: 256 * 1024,
  maxQueuedEvents: 20_000,
  maxQueuedBytes: 8 * 1024 * 1024,
};

/** WebSocket close code for a client that fell too far behind (4000–4999: private use). */
export const CLOSE_LAGGED = 4008;
/** WebSocket close code when the session itself was deleted: there is nothing to reconnect to (HTTP's 410 Gone). */
export const CLOSE_SESSION_DELETED = 4410;
/** The server failed to read the trace. */
export const CLOSE_INTERNAL_ERROR = 1011;

export interface EventsMessage {
  type: "events";
  events: TraceEvent[];
}
export interface LaggedMessage {
  type: "lagged";
  /** Every event up to this seq that matches the filter was sent before this message; -1 when none was dealt with. */
  lastSeq: number;
  message: string;
}
export interface ErrorMessage {
  type: "error";
  error: { code: string; message: string };
}

export type TraceStreamState = "replaying" | "live" | "closed";

const OPEN = 1;
/** How far past its bandwidth a token's live events may take it (ms of its rate) before the stream is cut off as lagged. */
const LIVE_OVERDRAFT_MS = 3_000;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Sent entries at the outbox's head before it is compacted. */
const COMPACT_AFTER = 4096;

export function matchesFilter(filter: TraceFilter): (event: StreamEvent) => boolean {
  const hosts = setOf(filter.hosts);
  const namespaces = setOf(filter.namespaces);
  const devices = setOf(filter.devices);
  const kinds = setOf(filter.kinds);
  const protocols = setOf(filter.protocols);
  if (hosts === null && namespaces === null && devices === null && kinds === null && protocols === null) return () => true;
  return (e) =>
    (hosts === null || hosts.has(e.host)) &&
    (namespaces === null || namespaces.has(e.namespace)) &&
    (devices === null || (e.device !== null && devices.has(e.device))) &&
    (kinds === null || kinds.has(e.kind)) &&
    (protocols === null || layerKinds(e).some((kind) => protocols.has(kind)));
}

/** A stored event's layers are read only when a filter asks for them. */
function layerKinds(e: StreamEvent): readonly string[] {
  if ("json" in e) return layerKindsOf(e);
  return e.layers === null ? [] : e.layers.map((l) => l.kind);
}

function setOf(list: string[] | undefined): Set<string> | null {
  return list === undefined || list.length === 0 ? null : new Set(list);
}

// Live batches are the same objects for every client of a session: their JSON is made once,
// and so are the messages of a batch for every client that takes it whole (the fast path).
const eventJsonCache = new WeakMap<TraceEvent, string>();
const batchMessageCache = new WeakMap<readonly StreamEvent[], Buffer[]>();

/** A batch as `events` messages of at most `pageSize` events, made once for all the clients that take it whole. */
function batchMessages(batch: readonly StreamEvent[], pageSize: number): Buffer[] {
  let messages = batchMessageCache.get(batch);
  if (messages === undefined) {
    messages = [];
    for (let i = 0; i < batch.length; i += pageSize) messages.push(eventsMessage(batch.slice(i, i + pageSize).map(eventJson)));
    batchMessageCache.set(batch, messages);
  }
  return messages;
}

/**
 * The largest live batch a caught-up client takes whole, past its socket's
 * high-water mark if need be: a command's chunk (CHUNK_EVENTS, about half a
 * megabyte). A long command's live chunks used to be cut into pages for
 * every client on its own, which for a few watchers of a heavy ping held
 * the request thread for hundreds of milliseconds.
 */
const FAST_BATCH_EVENTS = 1_000;

/** A stored event's JSON as stored; an event object's written once. */
function eventJson(e: StreamEvent): string {
  if ("json" in e) return e.json;
  let json = eventJsonCache.get(e);
  if (json === undefined) eventJsonCache.set(e, (json = serializeEvent(e)));
  return json;
}

function eventsMessage(jsons: readonly string[]): Buffer {
  return Buffer.from(`{"type":"events","events":[${jsons.join(",")}]}`);
}

interface Queued {
  seq: number;
  json: string;
}

export class TraceStream {
  private state: TraceStreamState = "replaying";
  /** Every event below this seq was sent or filtered out. */
  private sentCursor: number;
  /** The seq the next live event should have; null until the first live batch since the outbox was (re)started. */
  private liveCursor: number | null = null;
  /** Where the outbox's coverage starts: it holds every matching live event from this seq to liveCursor - 1. */
  private outboxFrom: number | null = null;
  private outbox: Queued[] = [];
  private outboxHead = 0;
  private outboxBytes = 0;
  /** Counts outbox discards while replaying: a store read that overlapped one must be repeated. */
  private resets = 0;
  private waitingForDrain = false;
  private drainWaiters: (() => void)[] = [];
  private readonly matches: (event: StreamEvent) => boolean;
  private readonly unfiltered: boolean;
  private readonly unsubscribe: () => void;
  private pumping = false;

  constructor(
    private readonly source: TraceSource,
    private readonly socket: StreamSocket,
    fromSeq: number,
    filter: TraceFilter,
    private readonly options: TraceStreamOptions = DEFAULT_TRACE_STREAM_OPTIONS,
    private readonly onEnd: (reason: "lagged" | "error" | "stopped", error?: unknown) => void = () => {},
    /** Paces the replay from the store (replay-bandwidth.ts); unpaced when absent. */
    private readonly pacer: ReplayPacer | null = null,
  ) {
    this.sentCursor = fromSeq;
    this.matches = matchesFilter(filter);
    this.unfiltered = Object.values(filter).every((list) => list === undefined || list.length === 0);
    // Subscribe before the first read of the store: nothing committed from here on can be missed.
    this.unsubscribe = source.subscribe((events) => this.onLive(events));
    void this.replay();
  }

  get currentState(): TraceStreamState {
    return this.state;
  }

  /** The last seq dealt with: every matching event up to it has been handed to the socket. */
  get lastSeq(): number {
    return this.sentCursor - 1;
  }

  /** Ends the stream without a message (the socket closed, the server is stopping). */
  stop(): void {
    this.end("stopped");
  }

  /** A method, not a field test: the state changes across the replay's awaits. */
  private ended(): boolean {
    return this.state === "closed";
  }

  private end(reason: "lagged" | "error" | "stopped", error?: unknown): void {
    if (this.state === "closed") return;
    this.state = "closed";
    this.unsubscribe();
    this.outbox = [];
    for (const wake of this.drainWaiters.splice(0)) wake();
    this.onEnd(reason, error);
  }

  private async replay(): Promise<void> {
    const { pageSize } = this.options;
    try {
      for (;;) {
        const resetsBefore = this.resets;
        const page = await this.source.eventsSince(this.sentCursor, pageSize);
        if (this.ended()) return;
        const fresh = page.filter((e) => e.seq >= this.sentCursor);
        const jsons: string[] = [];
        for (const e of fresh) if (this.matches(e)) jsons.push(eventJson(e));
        if (fresh.length > 0) this.sentCursor = fresh[fresh.length - 1]!.seq + 1;
        if (jsons.length > 0) {
          const message = eventsMessage(jsons);
          this.send(message);
          await this.drained();
          if (this.ended()) return;
          const wait = this.pacer?.take(message.length) ?? 0;
          if (wait > 0) {
            await this.pacer!.sleep(wait);
            if (this.ended()) return;
          }
        }
        if (page.length === pageSize) {
          // Let the rest of the server in between two pages: a long replay whose socket keeps up would
          // otherwise run from page to page in microtasks alone, and hold every other request for seconds.
          await yieldToEventLoop();
          if (this.ended()) return;
          continue;
        }
        // The store's end at the time of the read. If the outbox was not discarded meanwhile,
        // everything committed after that read is in it.
        if (this.resets !== resetsBefore) continue;
        if (this.outboxFrom !== null && this.outboxFrom > this.sentCursor) continue;
        this.goLive();
        return;
      }
    } catch (err) {
      this.fail(err);
    }
  }

  private goLive(): void {
    this.state = "live";
    // Drop what replay already sent.
    while (this.outboxHead < this.outbox.length && this.outbox[this.outboxHead]!.seq < this.sentCursor) {
      this.outboxBytes -= this.outbox[this.outboxHead]!.json.length;
      this.outboxHead++;
    }
    // The replay may have read events the live feed has not brought yet: those must not come twice.
    this.liveCursor = Math.max(this.liveCursor ?? this.sentCursor, this.sentCursor);
    this.pump();
  }

  private onLive(batch: readonly StreamEvent[]): void {
    if (this.state === "closed" || batch.length === 0) return;
    let start = 0;
    if (this.liveCursor !== null) {
      while (start < batch.length && batch[start]!.seq < this.liveCursor) start++;
      if (start === batch.length) return;
      if (batch[start]!.seq > this.liveCursor) {
        // A gap in the live feed: the store has the missing events.
        this.restartReplay();
        return;
      }
    } else {
      this.outboxFrom = batch[0]!.seq;
    }

    // Live events count against the token's bandwidth too. They are not held back (a live
    // stream is not delayed), but a token that takes several seconds' worth at once has its
    // stream cut off as lagged: it resumes by replaying, which is paced.
    if (this.pacer !== null && this.state === "live") {
      let bytes = 0;
      for (let i = start; i < batch.length; i++) bytes += eventJson(batch[i]!).length;
      if (this.pacer.take(bytes) > LIVE_OVERDRAFT_MS) {
        this.lagged(`its token took more of the server's trace bandwidth than it may (CNLAB_REPLAY_MB_PER_SECOND)`);
        return;
      }
    }

    const fastPath = this.state === "live" && this.unfiltered && start === 0 && this.outboxHead === this.outbox.length && batch.length <= FAST_BATCH_EVENTS && !this.waitingForDrain;
    this.liveCursor = batch[batch.length - 1]!.seq + 1;
    if (fastPath) {
      if (this.socket.bufferedAmount <= this.options.socketHighWater) {
        for (const message of batchMessages(batch, this.options.pageSize)) this.send(message);
        this.sentCursor = this.liveCursor;
        return;
      }
    }

    for (let i = start; i < batch.length; i++) {
      const e = batch[i]!;
      if (!this.matches(e)) continue;
      const json = eventJson(e);
      this.outbox.push({ seq: e.seq, json });
      this.outboxBytes += json.length;
    }
    if (this.outbox.length - this.outboxHead > this.options.maxQueuedEvents || this.outboxBytes > this.options.maxQueuedBytes) {
      if (this.state === "replaying") {
        this.resetOutbox();
        return;
      }
      this.lagged();
      return;
    }
    if (this.state === "live") this.pump();
  }

  /** Sends from the outbox while the socket keeps up. */
  private pump(): void {
    if (this.pumping || this.state !== "live") return;
    this.pumping = true;
    try {
      while (this.outboxHead < this.outbox.length) {
        if (this.socket.bufferedAmount > this.options.socketHighWater) {
          if (!this.waitingForDrain) {
            this.waitingForDrain = true;
            void this.drained().then(() => {
              this.waitingForDrain = false;
              this.pump();
            });
          }
          return;
        }
        const end = Math.min(this.outbox.length, this.outboxHead + this.options.pageSize);
        const chunk = this.outbox.slice(this.outboxHead, end);
        this.outboxHead = end;
        for (const q of chunk) this.outboxBytes -= q.json.length;
        this.send(eventsMessage(chunk.map((q) => q.json)));
        this.sentCursor = chunk[chunk.length - 1]!.seq + 1;
        // A client that stays a little behind never empties the outbox: drop what was sent now and then.
        if (this.outboxHead >= COMPACT_AFTER && this.outboxHead * 2 >= this.outbox.length) {
          this.outbox = this.outbox.slice(this.outboxHead);
          this.outboxHead = 0;
        }
      }
      // Everything received is sent: events after the last one sent all failed the filter.
      this.outbox = [];
      this.outboxHead = 0;
      this.outboxBytes = 0;
      if (this.liveCursor !== null && this.liveCursor > this.sentCursor) this.sentCursor = this.liveCursor;
    } finally {
      this.pumping = false;
    }
  }

  private resetOutbox(): void {
    this.outbox = [];
    this.outboxHead = 0;
    this.outboxBytes = 0;
    this.outboxFrom = null;
    this.liveCursor = null;
    this.resets++;
  }

  private restartReplay(): void {
    this.resetOutbox();
    if (this.state === "live") {
      this.state = "replaying";
      void this.replay();
    }
  }

  private lagged(why = `the client fell more than ${this.options.maxQueuedEvents} events or ${this.options.maxQueuedBytes} bytes behind`): void {
    const message: LaggedMessage = {
      type: "lagged",
      lastSeq: this.lastSeq,
      message: `${why}; reconnect with fromSeq ${this.lastSeq + 1}`,
    };
    this.send(Buffer.from(JSON.stringify(message)));
    this.end("lagged");
    this.socket.close(CLOSE_LAGGED, "lagged");
  }

  private fail(err: unknown): void {
    if (this.state === "closed") return;
    const message: ErrorMessage = { type: "error", error: { code: "TRACE_UNAVAILABLE", message: "The session's trace could not be read" } };
    this.send(Buffer.from(JSON.stringify(message)));
    this.end("error", err);
    this.socket.close(CLOSE_INTERNAL_ERROR, "trace unavailable");
  }

  private send(data: Buffer): void {
    if (this.socket.readyState !== OPEN) return;
    this.socket.send(data, { binary: false }, () => this.onWritten());
  }

  private onWritten(): void {
    if (this.socket.bufferedAmount <= this.options.socketHighWater || this.socket.readyState !== OPEN) {
      for (const wake of this.drainWaiters.splice(0)) wake();
    }
  }

  /** Resolves once the socket holds no more than the high-water mark (or the stream ended). */
  private drained(): Promise<void> {
    if (this.state === "closed" || this.socket.readyState !== OPEN || this.socket.bufferedAmount <= this.options.socketHighWater) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }
}
