/**
 * Cuts a command's events into the chunks the store keeps (CHUNK_EVENTS
 * each, counted from the command's first event, as stored-trace.ts lays
 * them out) while the command runs: after each step the worker hands over
 * what was recorded, and every full chunk is serialised and handed to the
 * stored trace's writer at once, which deflates it on libuv's thread pool.
 * A ping at its event budget records hundreds of thousands of events; held
 * until its end, they outlived V8's young generation and each such command
 * cost full collections on the simulator's thread.
 *
 * When the session has live watchers (`live`), it keeps the events of the
 * chunks that go to them (the head, and the latest, which is the last once
 * the command ended; liveChunkIndexes says which) and writes their JSON at
 * the end. Without watchers it keeps nothing: the head of a long ping,
 * two thousand events, would otherwise outlive the young generation.
 */
import { serializeEvents, type TraceEvent } from "../engine/index.js";
import { CHUNK_EVENTS, LIVE_HEAD_CHUNKS, liveChunkIndexes, StoredTraceWriter } from "./stored-trace.js";

export class EventChunker {
  private pending: TraceEvent[] = [];
  /** Where the events not yet cut start in `pending`. */
  private start = 0;
  private readonly writer = new StoredTraceWriter();
  private readonly head: TraceEvent[][] = [];
  private latest: TraceEvent[] = [];
  private cutCount = 0;

  constructor(private readonly options: { live: boolean }) {}

  add(events: readonly TraceEvent[]): void {
    for (const event of events) this.pending.push(event);
  }

  /**
   * Encodes one chunk, if there is one to cut: a full one, or, once the
   * command has ended (`ended`), what is left. True when it cut one: the
   * caller yields between two, so one chunk's encoding is one slice.
   */
  cut(ended: boolean): boolean {
    const left = this.pending.length - this.start;
    if (left === 0 || (left < CHUNK_EVENTS && !ended)) return false;
    const events = this.pending.slice(this.start, this.start + CHUNK_EVENTS);
    this.start += events.length;
    if (this.start === this.pending.length) {
      this.pending = [];
      this.start = 0;
    } else if (this.start >= 4 * CHUNK_EVENTS) {
      // A step that recorded many chunks' worth (a storm): let go of what was cut.
      this.pending = this.pending.slice(this.start);
      this.start = 0;
    }
    this.writer.addEvents(events);
    if (this.options.live) {
      if (this.cutCount < LIVE_HEAD_CHUNKS) this.head.push(events);
      this.latest = events;
    }
    this.cutCount++;
    return true;
  }

  /** The JSON of the chunks that go to live watchers, in order; call once every chunk is cut. */
  liveJson(): string[] {
    if (!this.options.live) throw new Error("event chunker: made without live watchers, it kept no live chunks");
    return liveChunkIndexes(this.cutCount).map((i) => serializeEvents(i < this.head.length ? this.head[i]! : this.latest));
  }

  /** The stored trace; call once every chunk is cut. */
  finish(): Uint8Array {
    return this.writer.finish();
  }
}
