/**
 * Reading a session's stored trace, page by page, without reading a long
 * command's events again for every page. A command's events are stored in
 * its log row as chunks of at most a thousand events, each deflated on its
 * own (simulator/stored-trace.ts). A page inflates (on libuv's thread pool)
 * and decodes only the chunks it reaches, so the thread that answers every
 * request never makes more than one chunk's events' JSON (about half a
 * megabyte) at a time, however long the command. Rows'
 * seq ranges are read first (small); a row's blob and its chunk index, and
 * each chunk once cut, are kept in caches bounded by the bytes they hold, so
 * the next page of the same chunk, and the next stream replaying it, cost
 * nothing. Streams that ask for the same row or chunk while it is being read
 * share that one read: a class's trace sockets connecting together, or one
 * student's dozens, each decoded the same chunks for itself, and that burst
 * held the request thread in the load test's first second. Rows written
 * before events were compressed hold their text, read as one piece.
 */
import { splitEventsText, type EventText } from "../engine/index.js";
import { readChunk, readChunkIndex, type StoredChunk } from "../simulator/stored-trace.js";
import { ByteBoundedCache } from "./byte-bounded-cache.js";
import type { LogReads } from "./log-reads.js";

/** Bytes of decoded event JSON kept, over all sessions. */
const CACHED_BYTES = 48 * 1024 * 1024;
/** Bytes of compressed rows kept (a ping at its event budget stores a few hundred kilobytes). */
const ROW_CACHE_BYTES = 16 * 1024 * 1024;
const RANGES_PER_READ = 64;

/** Some of a row's events: one chunk of them, or all of a row stored as text. */
export interface StoredPiece {
  /** The row's index in the log. */
  index: number;
  /** Seqs of the piece's events: [eventsFrom, eventsTo). */
  eventsFrom: number;
  eventsTo: number;
  /** Its events' JSON, each with a comma: what the piece adds to a page. */
  bytes: number;
  /** The piece's events, each with its JSON. */
  events(): EventText[];
}

type StoredRow = { kind: "text"; text: string } | { kind: "chunked"; blob: Uint8Array; chunks: StoredChunk[] };

interface CutPiece {
  events: EventText[];
  bytes: number;
}

export class StoredEvents {
  /** Rows read, by "session/index": the compressed blob and its chunk index, or an old row's text. */
  private readonly rows = new ByteBoundedCache<StoredRow>(ROW_CACHE_BYTES);
  /** Pieces inflated and decoded (or cut), by "session/index/chunk". */
  private readonly pieces = new ByteBoundedCache<CutPiece>(CACHED_BYTES);
  /** Reads under way, by their cache key: who asks for one meanwhile waits for it rather than reading it again. */
  private readonly reading = new Map<string, Promise<StoredRow | CutPiece>>();

  constructor(
    private readonly reads: Pick<LogReads, "eventRanges" | "eventTexts">,
  ) {}

  /** The pieces of the rows whose events reach seq `fromSeq` or later, in seq order, a batch of rows at a time. */
  async *piecesFrom(sessionId: string, fromSeq: number): AsyncGenerator<StoredPiece> {
    let cursor = fromSeq;
    for (;;) {
      const ranges = (await this.reads.eventRanges(sessionId, cursor, RANGES_PER_READ)).filter((r) => r.eventsTo > r.eventsFrom);
      if (ranges.length === 0) return;
      for (const range of ranges) {
        const row = await this.row(sessionId, range.index, range.eventsTo);
        if (row.kind === "text") {
          const piece = await this.piece(`${sessionId}/${range.index}/text`, async () => splitEventsText(row.text));
          yield { ...range, bytes: piece.bytes, events: () => piece.events };
        } else {
          for (const [n, chunk] of row.chunks.entries()) {
            if (chunk.to <= cursor) continue;
            const piece = await this.piece(`${sessionId}/${range.index}/${n}`, () => readChunk(row.blob, chunk));
            yield { index: range.index, eventsFrom: chunk.from, eventsTo: chunk.to, bytes: piece.bytes, events: () => piece.events };
          }
        }
        cursor = range.eventsTo;
      }
    }
  }

  /** Forgets a deleted session's rows. */
  forget(sessionId: string): void {
    this.rows.forget(sessionId);
    this.pieces.forget(sessionId);
  }

  /** A row's stored events: from the cache, or read (one row, by its place in the index) and kept. */
  private row(sessionId: string, index: number, eventsTo: number): Promise<StoredRow> {
    const key = `${sessionId}/${index}`;
    const hit = this.rows.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    return this.shared(`row ${key}`, async (): Promise<StoredRow> => {
      const stored = (await this.reads.eventTexts(sessionId, eventsTo, eventsTo)).get(index) ?? { text: "[]" };
      // An old row's text is cut and kept as its one piece: kept here too, it would be held uncounted.
      if ("text" in stored) return { kind: "text", text: stored.text };
      const row: StoredRow = { kind: "chunked", blob: stored.chunked, chunks: readChunkIndex(stored.chunked) };
      this.rows.set(key, row, row.blob.byteLength);
      return row;
    });
  }

  private piece(key: string, read: () => Promise<EventText[]>): Promise<CutPiece> {
    const hit = this.pieces.get(key);
    if (hit !== undefined) return Promise.resolve(hit);
    return this.shared(`piece ${key}`, async (): Promise<CutPiece> => {
      const events = await read();
      const piece = { events, bytes: events.reduce((sum, e) => sum + e.json.length + 1, 0) };
      this.pieces.set(key, piece, piece.bytes);
      return piece;
    });
  }

  /** The read under way for `key`, or `read` started as it; either way, what it gives. */
  private shared<T extends StoredRow | CutPiece>(key: string, read: () => Promise<T>): Promise<T> {
    const under = this.reading.get(key);
    if (under !== undefined) return under as Promise<T>;
    const started = read().finally(() => this.reading.delete(key));
    this.reading.set(key, started);
    return started;
  }
}
