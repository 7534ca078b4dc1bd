/**
 * Reading a session's stored trace, page by page, without reading a long
 * command's events again for every page. A command's events are stored as one
 * JSON array in its log row, deflated; a ping stopped at its event budget leaves
 * a row of megabytes of text, and a stream replaying it 500 events at a time would
 * fetch and cut that row a hundred times over, on the thread that answers
 * every request. Instead the rows' seq ranges are read first (small), and a
 * row's events are read once, inflated on libuv's thread pool, cut into events
 * (splitEventsText: no parsing)
 * and kept in a cache bounded by the bytes it holds, so the next page of the
 * same row, and the next stream replaying it, cost nothing.
 */
import { promisify } from "node:util";
import { inflateRaw } from "node:zlib";
import type { PrismaClient } from "../db/prisma-client.js";
import { splitEventsText, type EventText } from "../engine/index.js";
import { ByteBoundedCache } from "./byte-bounded-cache.js";
import { eventRanges, type StoredEventsColumn } from "./session-repository.js";

/** The stored events of the rows whose eventsTo lies in [from, to], by index. */
export type EventTextReader = (sessionId: string, fromEventsTo: number, toEventsTo: number) => Map<number, StoredEventsColumn>;

/** Inflates on libuv's thread pool: a long command's events are megabytes of text, not for the thread that answers requests. */
const inflate = promisify(inflateRaw);

/** Bytes of event text the cache holds at most, over all sessions. */
const CACHED_BYTES = 48 * 1024 * 1024;
const RANGES_PER_READ = 64;

export interface StoredRow {
  index: number;
  eventsFrom: number;
  eventsTo: number;
  /** The row's events as stored (a JSON array text). */
  text: string;
  /** The row's events, cut from its text. */
  events(): EventText[];
}

export class StoredEvents {
  /** Rows read and cut, by "session/index". */
  private readonly cache = new ByteBoundedCache<{ text: string; events: EventText[] }>(CACHED_BYTES);

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
      for (const range of ranges) {
        const row = await this.row(sessionId, range.index, range.eventsTo);
        yield { ...range, text: row.text, events: () => row.events };
        cursor = range.eventsTo;
      }
    }
  }

  /** Forgets a deleted session's rows. */
  forget(sessionId: string): void {
    this.cache.forget(sessionId);
  }

  /** A row's text and events: from the cache, or read (one row, by its place in the index), cut and kept. */
  private async row(sessionId: string, index: number, eventsTo: number): Promise<{ text: string; events: EventText[] }> {
    const key = `${sessionId}/${index}`;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const stored = this.readTexts(sessionId, eventsTo, eventsTo).get(index) ?? { text: "[]" };
    const text = "text" in stored ? stored.text : (await inflate(stored.deflated)).toString("utf8");
    const entry = { text, events: splitEventsText(text) };
    this.cache.set(key, entry, text.length);
    return entry;
  }
}
