/**
 * The stored trace's layout: chunks of events deflated one by one behind an
 * index, so a page from any seq inflates one chunk, never a whole command.
 */
import { readFileSync } from "node:fs";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { encodeEventsCompact, serializeEvents, type EventText } from "../../server/engine/index.js";
import { CHUNK_EVENTS, DEFLATE_OPTIONS, LIVE_HEAD_CHUNKS, deflateOptions, encodeCompactTrace, encodeStoredTrace, liveChunkIndexes, readChunk, readChunkIndex } from "../../server/simulator/stored-trace.js";
import { labEngine } from "../engine/helpers/lab-engine.js";

const eventsJson = (from: number, to: number) =>
  `[${Array.from({ length: to - from }, (_, i) => `{"seq":${from + i},"time":0,"kind":"drop","host":"node1","namespace":"root","device":null,"packetId":null,"summary":"s","reason":"no-route","detail":"d","layers":null}`).join(",")}]`;
/** A chunk read back, as the JSON array text it was stored as. */
const asText = (events: readonly EventText[]) => `[${events.map((e) => e.json).join(",")}]`;

describe("the stored trace", () => {
  it("keeps each chunk's seqs and text, and gives them back one chunk at a time", async () => {
    const blob = encodeStoredTrace([
      { firstSeq: 10, count: 3, json: eventsJson(10, 13) },
      { firstSeq: 13, count: 2, json: eventsJson(13, 15) },
    ]);
    const chunks = readChunkIndex(blob);
    expect(chunks.map(({ from, to }) => [from, to])).toEqual([
      [10, 13],
      [13, 15],
    ]);
    expect(asText(await readChunk(blob, chunks[0]!))).toBe(eventsJson(10, 13));
    expect(asText(await readChunk(blob, chunks[1]!))).toBe(eventsJson(13, 15));
    // Repetitive JSON shrinks: the blob is far smaller than its text.
    const big = encodeStoredTrace([{ firstSeq: 0, count: CHUNK_EVENTS, json: eventsJson(0, CHUNK_EVENTS) }]);
    expect(big.byteLength * 10).toBeLessThan(eventsJson(0, CHUNK_EVENTS).length);
  });

  it("stores events compactly (CNT4) and reads each chunk back as the JSON serializeEvents writes, in under a tenth of the bytes", async () => {
    const events = labEngine("bridge-two-containers").run({ host: "node1", namespace: "nginx-1", command: "ping -c 100 172.17.0.3" }).events;
    expect(events.length).toBeGreaterThan(2 * CHUNK_EVENTS);
    const blob = encodeCompactTrace(events);
    expect(new TextDecoder().decode(blob.subarray(0, 4))).toBe("CNT4");
    const chunks = readChunkIndex(blob);
    expect(chunks.map((c) => c.to - c.from)).toEqual([CHUNK_EVENTS, CHUNK_EVENTS, events.length - 2 * CHUNK_EVENTS]);
    for (const [i, chunk] of chunks.entries()) {
      expect(chunk.from).toBe(events[i * CHUNK_EVENTS]!.seq);
      expect(asText(await readChunk(blob, chunk))).toBe(serializeEvents(events.slice(i * CHUNK_EVENTS, (i + 1) * CHUNK_EVENTS)));
    }
    expect(blob.byteLength * 10).toBeLessThan(serializeEvents(events).length);
  });

  // Each written by the version before the next layout, of the same commands: a ping with its ARP, then a curl
  // (TCP options, HTTP); ping-then-curl.json is their JSON as serializeEvents wrote it then.
  it.each([
    ["CNT2", "cnt2", "frames as their layers' JSON"],
    ["CNT3", "cnt3", "every summary a text"],
  ])("still reads a trace stored as %s (%s: %s)", async (magic, name) => {
    const blob = new Uint8Array(readFileSync(new URL(`../fixtures/stored-trace/${name}.bin`, import.meta.url)));
    const expected = readFileSync(new URL("../fixtures/stored-trace/ping-then-curl.json", import.meta.url), "utf8").trim();
    expect(new TextDecoder().decode(blob.subarray(0, 4))).toBe(magic);
    const read: EventText[] = [];
    for (const chunk of readChunkIndex(blob)) read.push(...(await readChunk(blob, chunk)));
    expect(asText(read)).toBe(expected);
    expect(read.some((e) => e.kind === "socket-deliver" && e.json.includes('"kind":"tcp"'))).toBe(true);
    expect(read.some((e) => e.kind === "frame-tx")).toBe(true);
  });

  it("refuses a compact chunk whose events do not match its index", async () => {
    const events = labEngine("bridge-two-containers").run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" }).events;
    const blob = encodeCompactTrace(events);
    const lying = blob.slice();
    new DataView(lying.buffer).setUint32(12, events.length + 1, true);
    await expect(readChunk(lying, readChunkIndex(lying)[0]!)).rejects.toThrow(/where its index says/);
  });

  it("deflates a chunk with a window no larger than it, which inflating reads back", () => {
    expect([1, 511, 512, 513, 3303, 4096, 4097, 32_768, 100_000].map((n) => deflateOptions(n).windowBits)).toEqual([9, 9, 9, 10, 12, 12, 13, 15, 15]);
    for (const length of [1, 513, 4096, 4097, 40_000, 70_000]) {
      // Repeats at every distance a window may hold, and some bytes that do not repeat.
      const data = Uint8Array.from({ length }, (_, i) => (i % 7 === 0 ? (i * 2654435761) >>> 24 : i % 251));
      const deflated = deflateRawSync(data, deflateOptions(length));
      expect(Buffer.compare(inflateRawSync(deflated), data)).toBe(0);
    }
  });

  it("reads back a short command's trace, deflated with a small window", async () => {
    const events = labEngine("bridge-two-containers").run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" }).events;
    const blob = encodeCompactTrace(events);
    const [chunk] = readChunkIndex(blob);
    expect(asText(await readChunk(blob, chunk!))).toBe(serializeEvents(events));
    // The window is the chunk's size, not zlib's 32 KB, and the bytes out barely differ.
    const compact = encodeEventsCompact(events);
    expect(deflateOptions(compact.byteLength).windowBits).toBeLessThan(15);
    const fitted = deflateRawSync(compact, deflateOptions(compact.byteLength));
    expect(blob.byteLength).toBe(8 + 12 + fitted.byteLength);
    expect(fitted.byteLength).toBeLessThanOrEqual(deflateRawSync(compact, DEFLATE_OPTIONS).byteLength * 1.05);
  });

  it("inflates a chunk larger than one output buffer whole", async () => {
    // 60,000 events make about 2.4 MB of text: more than the 1 MiB inflate buffer, so several rounds.
    const json = eventsJson(0, 60_000);
    expect(json.length).toBeGreaterThan(2 * 1024 * 1024);
    const blob = encodeStoredTrace([{ firstSeq: 0, count: 60_000, json }]);
    expect(asText(await readChunk(blob, readChunkIndex(blob)[0]!))).toBe(json);
  });

  it("sends live a long command's head and its last chunk only; a short one whole", () => {
    expect(LIVE_HEAD_CHUNKS).toBe(2);
    expect(liveChunkIndexes(0)).toEqual([]);
    expect(liveChunkIndexes(1)).toEqual([0]);
    expect(liveChunkIndexes(3)).toEqual([0, 1, 2]);
    expect(liveChunkIndexes(10)).toEqual([0, 1, 9]);
  });

  it("a command without events is an index of no chunks", async () => {
    const blob = encodeStoredTrace([]);
    expect(readChunkIndex(blob)).toEqual([]);
    expect(blob.byteLength).toBe(8);
  });

  it("refuses a blob that is not in the layout, or whose chunks run past its end", async () => {
    expect(() => readChunkIndex(new TextEncoder().encode("[]"))).toThrow(/not a chunked trace/);
    const blob = encodeStoredTrace([{ firstSeq: 0, count: 2, json: eventsJson(0, 2) }]);
    expect(() => readChunkIndex(blob.subarray(0, blob.byteLength - 1))).toThrow(/ends past the blob/);
    const lying = blob.slice();
    new DataView(lying.buffer).setUint32(4, 1_000_000, true);
    expect(() => readChunkIndex(lying)).toThrow(/does not fit/);
  });
});
