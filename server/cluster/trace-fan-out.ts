/**
 * The trace across instances: a WebSocket on one instance sees the events of
 * commands another instance runs.
 *
 * Redis pub/sub carries only "session S committed events [from, to)"
 * (channel `cnlab:trace:<session>`, message "<instance id> <from> <to>"),
 * never the events: the database holds them already, committed before the
 * message is sent, so an instance with watchers reads them from there in seq
 * order and hands them to its streams as if its own commands had made them.
 * A lost message costs nothing lasting: a stream that sees a gap in seqs
 * reads the store again (trace-stream.ts), and after Redis reconnects each
 * watched session is read up to its end. Changes to a session's row go on
 * `cnlab:sessions` ("deleted", "invalidated").
 *
 * Why not Redis Streams: a client resumes from a seq, and the database can
 * answer any seq already; a stream would keep a second copy of every event in
 * Redis's memory, trimmed by MAXLEN, and a resume past the trim would need the
 * database anyway. See docs/scale-out.md.
 *
 * It does not decide who runs a session (session-leases.ts).
 */
import type { Redis } from "ioredis";
import type { StreamEvent } from "../sessions/session-service.js";

/** What the fan-out needs of the sessions here (the session manager). */
export interface FanOutTarget {
  eventsSince(id: string, fromSeq: number, limit: number): Promise<StreamEvent[]>;
  nextSeq(id: string): Promise<number>;
  deliver(id: string, events: readonly StreamEvent[]): void;
  watchedSessionIds(): string[];
  applyRemoteChange(id: string, change: SessionChange): void;
}

export type SessionChange = "deleted" | "invalidated";

const TRACE_PREFIX = "cnlab:trace:";
const CHANGES = "cnlab:sessions";
/** Events handed to the streams at once (a stream's own page size). */
const PAGE = 500;

interface Watched {
  /** Every event below this seq was handed to the streams here (or made here); null until the first. */
  cursor: number | null;
  /** Reads of this session run one after the other, so its batches stay in seq order. */
  chain: Promise<void>;
}

export class TraceFanOut {
  private readonly watched = new Map<string, Watched>();
  /** Events read from the database and handed to streams here, for /metrics. */
  eventsRelayed = 0;

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly instanceId: string,
    private readonly target: FanOutTarget,
    private readonly log: { warn(object: Record<string, unknown>, message: string): void },
  ) {
    subscriber.on("message", (channel: string, message: string) => this.onMessage(channel, message));
    // ioredis subscribes again by itself after a reconnection; what was published meanwhile is read from the store.
    let connectedOnce = false;
    subscriber.on("ready", () => {
      if (connectedOnce) for (const id of this.watched.keys()) this.catchUp(id);
      connectedOnce = true;
    });
  }

  /** Starts listening for other instances' changes to sessions. */
  async start(): Promise<void> {
    await this.subscriber.subscribe(CHANGES);
  }

  /** This instance committed events [from, to) of session `id`. */
  committed(id: string, from: number, to: number): void {
    const watched = this.watched.get(id);
    if (watched !== undefined) watched.cursor = Math.max(watched.cursor ?? to, to);
    this.publisher.publish(TRACE_PREFIX + id, `${this.instanceId} ${from} ${to}`).catch((err: unknown) => this.failed(err, "a commit could not be announced"));
  }

  changed(id: string, change: SessionChange): void {
    this.publisher.publish(CHANGES, `${this.instanceId} ${change} ${id}`).catch((err: unknown) => this.failed(err, "a session change could not be announced"));
  }

  /** Resolves once this instance receives the session's commits (or Redis failed to say so: the stream then relies on gap repair). */
  async watch(id: string): Promise<void> {
    if (!this.watched.has(id)) this.watched.set(id, { cursor: null, chain: Promise.resolve() });
    try {
      await this.subscriber.subscribe(TRACE_PREFIX + id);
    } catch (err) {
      this.failed(err, "could not subscribe to a session's trace");
    }
  }

  unwatch(id: string): void {
    if (!this.watched.delete(id)) return;
    this.subscriber.unsubscribe(TRACE_PREFIX + id).catch((err: unknown) => this.failed(err, "could not unsubscribe from a session's trace"));
  }

  private onMessage(channel: string, message: string): void {
    const [sender, a, b] = message.split(" ");
    if (sender === this.instanceId) return;
    if (channel === CHANGES) {
      if ((a === "deleted" || a === "invalidated") && b !== undefined) this.target.applyRemoteChange(b, a);
      return;
    }
    if (!channel.startsWith(TRACE_PREFIX)) return;
    const id = channel.slice(TRACE_PREFIX.length);
    const from = Number(a);
    const to = Number(b);
    if (!Number.isSafeInteger(from) || !Number.isSafeInteger(to) || to <= from) return;
    this.relay(id, from, to);
  }

  /** Reads the session's events up to `to` from the store and hands them on, from `from` or from a gap before it. */
  private relay(id: string, from: number, to: number): void {
    const watched = this.watched.get(id);
    if (watched === undefined) return;
    watched.chain = watched.chain.then(async () => {
      if (this.watched.get(id) !== watched) return;
      // A message lost before this one left a gap: read from the last event handed on.
      let cursor = watched.cursor !== null && watched.cursor < from ? watched.cursor : from;
      while (cursor < to) {
        const events = await this.target.eventsSince(id, cursor, Math.min(PAGE, to - cursor));
        const fresh = events.filter((e) => e.seq >= cursor && e.seq < to);
        if (fresh.length === 0) break;
        if (this.watched.get(id) !== watched) return;
        this.target.deliver(id, fresh);
        this.eventsRelayed += fresh.length;
        cursor = fresh[fresh.length - 1]!.seq + 1;
        watched.cursor = Math.max(watched.cursor ?? cursor, cursor);
      }
    }).catch((err: unknown) => this.failed(err, "could not read another instance's events of a watched session"));
  }

  private catchUp(id: string): void {
    const watched = this.watched.get(id);
    if (watched === undefined || watched.cursor === null) return;
    const from = watched.cursor;
    void this.target.nextSeq(id).then(
      (to) => this.relay(id, from, to),
      (err: unknown) => this.failed(err, "could not read a watched session after Redis came back"),
    );
  }

  private failed(err: unknown, message: string): void {
    this.log.warn({ err: err instanceof Error ? err.message : String(err) }, message);
  }
}
