/**
 * How a command's trace events are stored: cut into chunks of at most
 * CHUNK_EVENTS events, each chunk encoded on its own and deflated (raw
 * DEFLATE, RFC 1951), behind a small index. A reader that wants a page of
 * events from seq s inflates and decodes only the chunk holding s: a ping
 * stopped at its event budget is ten thousand events and several megabytes
 * of JSON, which made at once would hold the thread that answers requests
 * for tens of milliseconds.
 *
 * Layout (integers little-endian, unsigned 32-bit):
 *   magic   "CNT4": each chunk is the engine's compact form of its events
 *           (engine/trace/compact-events.ts, layout 4: frames as their bytes,
 *           what a device says of a frame made again from them); "CNT3" and
 *           "CNT2", written before it: the compact form's layouts 3 (every
 *           summary a text) and 2 (frames as their layers' JSON); "CNT1",
 *           before those: each chunk is its events' JSON array text
 *   n       the number of chunks
 *   n × (firstSeq, eventCount, deflatedLength)
 *   the n deflated chunks, one after the other
 *
 * The worker writes it (server/simulator/engine-worker.ts); sessions read it,
 * either layout. Rows stored before events were compressed hold the JSON text
 * itself, in another column (session-repository.ts).
 */
import { deflateRawSync, inflateRaw } from "node:zlib";
import { promisify } from "node:util";
import { decodeEventsCompact, encodeEventsCompact, splitEventsText, type CompactLayout, type EventText, type TraceEvent } from "../engine/index.js";

/** Events per chunk: about half a megabyte of JSON for frames, a few milliseconds to inflate and cut. */
export const CHUNK_EVENTS = 1_000;

/**
 * Chunks at the head of a command that go to its live watchers as they are made.
 * A long command (a ping at its event budget is tens of chunks, megabytes of
 * JSON) would otherwise push all of its text through the thread that answers
 * requests at once, faster than any watcher may take it (its token's download
 * bandwidth), as large strings that sit in the heap until the next full
 * garbage collection. So only the head and the last chunk go live; the gap
 * between them tells a stream to read the middle from the store, at its
 * token's pace (sessions/trace-stream.ts).
 */
export const LIVE_HEAD_CHUNKS = 2;

/** Which of a command's `count` chunks go to live watchers: the head, and the last. */
export function liveChunkIndexes(count: number): number[] {
  const head = Array.from({ length: Math.min(count, LIVE_HEAD_CHUNKS) }, (_, i) => i);
  return count > LIVE_HEAD_CHUNKS ? [...head, count - 1] : head;
}

const MAGIC_PREFIX = [0x43, 0x4e, 0x54]; // "CNT"
/** The fourth byte of the magic: "1" for JSON chunks, "2" to "4" for the compact form's layouts 2 to 4. */
const JSON_FORMAT = 0x31;
const COMPACT_LAYOUT_2 = 0x32;
const COMPACT_LAYOUT_3 = 0x33;
const COMPACT_FORMAT = 0x34;
const COMPACT_LAYOUTS: Record<number, CompactLayout> = { [COMPACT_LAYOUT_2]: 2, [COMPACT_LAYOUT_3]: 3, [COMPACT_FORMAT]: 4 };
const HEADER_BYTES = 8;
const ENTRY_BYTES = 12;

export interface StoredChunk {
  /** Seqs of the chunk's events: [from, to). */
  from: number;
  to: number;
  /** Where its deflated bytes are in the stored blob. */
  start: number;
  end: number;
}

const inflate = promisify(inflateRaw);
/**
 * zlib's asynchronous inflate hands its output back in pieces of chunkSize
 * (16 KiB by default), each piece a callback and a copy on the thread that
 * answers requests: for a chunk's half megabyte that is thirty round trips,
 * and it cost eight times the CPU of one. A buffer as large as a chunk's text
 * makes it one.
 */
const INFLATE_OPTIONS = { chunkSize: 1024 * 1024 };

/**
 * zlib's level 2 rather than its default 6: it deflates about three times
 * faster for a little more stored (a ping round trip: 273 bytes compact, 600
 * as JSON in the first layout, against 385 for JSON at level 6), well under
 * the 2 KB a round trip may take. Every command's events pass through here,
 * on the same two cores as the requests; reading inflates either the same.
 */
export const DEFLATE_OPTIONS = { level: 2 };

/**
 * Deflate's window fitted to a chunk: no larger than the chunk (at least
 * zlib's smallest, 512 bytes). zlib sets up and clears its window and hash
 * tables for every call, 256 KB at the default 32 KB window; for a short
 * command's chunk of a few KB that set-up cost more than the compressing (a
 * `ping -c 1`: 48 µs with the default window, 30 with a 4 KB one, with the
 * caches as a busy server leaves them), for the same bytes out. Inflating
 * with the default window reads any smaller one.
 */
export function deflateOptions(length: number): { level: number; windowBits: number } {
  return { level: DEFLATE_OPTIONS.level, windowBits: Math.min(15, Math.max(9, Math.ceil(Math.log2(Math.max(length, 1))))) };
}

/** One chunk of a command's events as the first layout stored them: the seq of the first, how many, and their JSON array text. */
export interface EventChunk {
  firstSeq: number;
  count: number;
  json: string;
}

/**
 * A command's stored trace, built as its chunks come: each is encoded and
 * deflated as soon as it is added, while the command goes on; finish() lays
 * them out behind their index. Deflating is synchronous, on the simulator's
 * worker: a compact chunk of a thousand events is about 60 KB and deflates in
 * a fraction of a millisecond, less than a round trip through libuv's thread
 * pool costs a short command in waiting (the JSON chunks of the first layout,
 * ten times larger, went there).
 */
export class StoredTraceWriter {
  private readonly entries: { firstSeq: number; count: number; deflated: Buffer }[] = [];

  /** `json`: the first layout's chunks, for rows as they were written before the compact one (tests of old rows). */
  constructor(private readonly format: "compact" | "json" = "compact") {}

  /** A chunk of events, in order: compact-encoded here (the compact layout). */
  addEvents(events: readonly TraceEvent[]): void {
    if (this.format !== "compact") throw new Error("stored trace: events go to a compact writer");
    this.push(events[0]?.seq ?? 0, events.length, encodeEventsCompact(events));
  }

  /** A chunk as JSON array text (the first layout). */
  add(chunk: EventChunk): void {
    if (this.format !== "json") throw new Error("stored trace: JSON chunks go to a json writer");
    this.push(chunk.firstSeq, chunk.count, chunk.json);
  }

  private push(firstSeq: number, count: number, data: string | Uint8Array): void {
    this.entries.push({ firstSeq, count, deflated: deflateRawSync(data, typeof data === "string" ? DEFLATE_OPTIONS : deflateOptions(data.byteLength)) });
  }

  finish(): Uint8Array {
    const deflated = this.entries.map((e) => e.deflated);
    const headerBytes = HEADER_BYTES + ENTRY_BYTES * this.entries.length;
    const total = deflated.reduce((sum, d) => sum + d.byteLength, headerBytes);
    const out = new Uint8Array(total);
    const view = new DataView(out.buffer);
    out.set(MAGIC_PREFIX, 0);
    out[3] = this.format === "compact" ? COMPACT_FORMAT : JSON_FORMAT;
    view.setUint32(4, this.entries.length, true);
    let offset = headerBytes;
    this.entries.forEach((chunk, i) => {
      const entry = HEADER_BYTES + ENTRY_BYTES * i;
      view.setUint32(entry, chunk.firstSeq, true);
      view.setUint32(entry + 4, chunk.count, true);
      view.setUint32(entry + 8, deflated[i]!.byteLength, true);
      out.set(deflated[i]!, offset);
      offset += deflated[i]!.byteLength;
    });
    return out;
  }
}

/** A stored trace in the first layout (JSON chunks), as rows written before the compact one hold it. */
export function encodeStoredTrace(chunks: readonly EventChunk[]): Uint8Array {
  const writer = new StoredTraceWriter("json");
  for (const chunk of chunks) writer.add(chunk);
  return writer.finish();
}

/** A stored trace of these events, cut into chunks and compact-encoded as the worker stores them. */
export function encodeCompactTrace(events: readonly TraceEvent[]): Uint8Array {
  const writer = new StoredTraceWriter("compact");
  for (let i = 0; i < events.length; i += CHUNK_EVENTS) writer.addEvents(events.slice(i, i + CHUNK_EVENTS));
  return writer.finish();
}

/** The chunks of a stored blob. Throws on one that is not in this layout or does not add up. */
export function readChunkIndex(blob: Uint8Array): StoredChunk[] {
  if (blob.byteLength < HEADER_BYTES || MAGIC_PREFIX.some((byte, i) => blob[i] !== byte) || (blob[3] !== JSON_FORMAT && COMPACT_LAYOUTS[blob[3]!] === undefined)) {
    throw new Error("stored trace: not a chunked trace (no CNT1 to CNT4 header)");
  }
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const count = view.getUint32(4, true);
  let start = HEADER_BYTES + ENTRY_BYTES * count;
  if (start > blob.byteLength) throw new Error(`stored trace: an index of ${count} chunks does not fit in ${blob.byteLength} bytes`);
  const chunks: StoredChunk[] = [];
  for (let i = 0; i < count; i++) {
    const entry = HEADER_BYTES + ENTRY_BYTES * i;
    const from = view.getUint32(entry, true);
    const to = from + view.getUint32(entry + 4, true);
    const end = start + view.getUint32(entry + 8, true);
    if (end > blob.byteLength) throw new Error(`stored trace: chunk ${i} ends past the blob (${end} > ${blob.byteLength})`);
    chunks.push({ from, to, start, end });
    start = end;
  }
  return chunks;
}

/** One chunk's events, each with its JSON: inflated on libuv's thread pool, and decoded from the compact form (or cut from the first layout's text). */
export async function readChunk(blob: Uint8Array, chunk: StoredChunk): Promise<EventText[]> {
  const inflated = await inflate(blob.subarray(chunk.start, chunk.end), INFLATE_OPTIONS);
  const events = blob[3] === JSON_FORMAT ? splitEventsText(inflated.toString("utf8")) : decodeEventsCompact(inflated, COMPACT_LAYOUTS[blob[3]!]);
  if (events.length !== chunk.to - chunk.from) throw new Error(`stored trace: a chunk of ${events.length} events where its index says ${chunk.to - chunk.from}`);
  return events;
}
