/**
 * Reading a session's stored trace, page by page, without reading a long
 * command's events again for every page. A command's events are stored as one
 * JSON array in its log row; a ping stopped at its event budget leaves a row
 * of tens of megabytes, and a stream replaying it 500 events at a time would
 * fetch and cut that row a hundred times over, on the thread that answers
 * every request. Instead the rows' seq ranges are read first (small), and a
 * large row's events are fetched once, cut into events (splitEventsText: no
 * parsing) and kept in a small cache bounded by the bytes it holds, so the
 * next page of the same row costs nothing. Small rows are read together and
 * not kept: they are cheap to read.
 */
import type { PrismaClient } from "../db/prisma-client.js";
import { splitEventsText, type EventText } from "../engine/index.js";
import { eventRanges } from "./session-repository.js";

/** The stored event texts of the rows whose eventsTo lies in [from, to], by index. */
export type EventTextReader = (sessionId: string, fromEventsTo: number, toEventsTo: number) => Map<number, string>;

/** Rows with more events than this are kept once parsed. */
const LARGE_ROW = 2_000;
/** Bytes of event text the cache holds at most, over all sessions. */
const CACHED_BYTES = 48 * 1024 * 1024;
const RANGES_PER_READ = 64;
const TEXTS_PER_READ = 8;

export interface StoredRow {
  index: number;
  eventsFrom: number;
  eventsTo: number;
  /** The row's events as stored (a JSON array text); only for rows not kept parsed. */
  text: string | null;
  /** The row's events, cut from its text. */
  events(): EventText[];
}

const isSmall = (range: { eventsFrom: number; eventsTo: number }) => range.eventsTo - range.eventsFrom <= LARGE_ROW;

export class StoredEvents {
  /** Parsed large rows by "session/index", in least-recently-used order. */
  private readonly cache = new Map<string, { events: EventText[]; bytes: number }>();
  private cached = 0;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly readTexts: EventTextReader,
  ) {}

  /** The rows whose events reach seq `fromSeq` or later, in seq order, a batch at a time. */
  async *rowsFrom(sessionId: string, fromSeq: number): AsyncGenerator<StoredRow> {
    let cursor = fromSeq;
    for (;;) {
      const ranges = (await eventRanges(this.prisma, sessionId, cursor, RANGES_PER_READ)).filter((r) => r.eventsTo > r.eventsFrom);
      if (ranges.length === 0) return;
      let texts = new Map<number, string>();
      for (let i = 0; i < ranges.length; i++) {
        const range = ranges[i]!;
        const small = isSmall(range);
        if (small && !texts.has(range.index)) {
          // The next few small rows together: a reader that stops early fetches little more than it uses.
          let last = i;
          while (last + 1 < ranges.length && last + 1 < i + TEXTS_PER_READ && isSmall(ranges[last + 1]!)) last++;
          texts = this.readTexts(sessionId, range.eventsTo, ranges[last]!.eventsTo);
        }
        const text = small ? (texts.get(range.index) ?? "[]") : null;
        if (text !== null) {
          let cut: EventText[] | null = null;
          yield { ...range, text, events: () => (cut ??= splitEventsText(text)) };
        } else {
          const events = this.large(sessionId, range.index, range.eventsTo);
          yield { ...range, text: null, events: () => events };
        }
        cursor = range.eventsTo;
      }
    }
  }

  /** Forgets a deleted session's rows. */
  forget(sessionId: string): void {
    for (const [key, entry] of this.cache) {
      if (key.startsWith(`${sessionId}/`)) {
        this.cache.delete(key);
        this.cached -= entry.bytes;
      }
    }
  }

  private large(sessionId: string, index: number, eventsTo: number): EventText[] {
    const key = `${sessionId}/${index}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit.events;
    }
    const text = this.readTexts(sessionId, eventsTo, eventsTo).get(index) ?? "[]";
    const entry = { events: splitEventsText(text), bytes: text.length };
    this.cache.set(key, entry);
    this.cached += entry.bytes;
    for (const [oldest, old] of this.cache) {
      if (this.cached <= CACHED_BYTES || oldest === key) break;
      this.cache.delete(oldest);
      this.cached -= old.bytes;
    }
    return entry.events;
  }
}
