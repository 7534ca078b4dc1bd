/**
 * The worker cuts a command's events into stored chunks while it runs
 * (event-chunker.ts): the stored trace must be byte for byte the one the
 * whole list of events would give, and the chunks that go live the same.
 */
import { describe, expect, it } from "vitest";
import { CommandJob, serializeEvents, type TraceEvent } from "../../server/engine/index.js";
import { EventChunker } from "../../server/simulator/event-chunker.js";
import { CHUNK_EVENTS, encodeCompactTrace, liveChunkIndexes, readChunk, readChunkIndex } from "../../server/simulator/stored-trace.js";
import { labEngine } from "../engine/helpers/lab-engine.js";

const NGINX1 = { host: "node1", namespace: "nginx-1" } as const;

/** What the worker stored before: the whole list cut into chunks at the end. */
function chunksOf(events: readonly TraceEvent[]) {
  const chunks = [];
  for (let i = 0; i < events.length; i += CHUNK_EVENTS) {
    const part = events.slice(i, i + CHUNK_EVENTS);
    chunks.push({ firstSeq: part[0]!.seq, count: part.length, json: serializeEvents(part) });
  }
  return chunks;
}

describe("cutting a command's events into stored chunks as it runs", () => {
  for (const pings of [1, 30, 200]) {
    it(`ping -c ${pings}: the same stored bytes and live chunks as cutting the whole list at the end`, async () => {
      const command = { ...NGINX1, command: `ping -c ${pings} 172.17.0.3` };
      const whole = labEngine("bridge-two-containers").run(command).events;

      const job = labEngine("bridge-two-containers").start(command);
      const chunker = new EventChunker({ live: true });
      let cutWhileRunning = 0;
      if (job instanceof CommandJob) {
        while (!job.step()) {
          chunker.add(job.takeEvents());
          while (chunker.cut(false)) cutWhileRunning++;
        }
        chunker.add(job.result().events);
      } else {
        chunker.add(job.events);
      }
      while (chunker.cut(true));

      const expected = chunksOf(whole);
      const stored = chunker.finish();
      expect(Buffer.from(stored).equals(Buffer.from(encodeCompactTrace(whole)))).toBe(true);
      expect(chunker.liveJson()).toEqual(liveChunkIndexes(expected.length).map((i) => expected[i]!.json));
      // A long ping's full chunks leave while it runs; only the last waits for its end.
      if (expected.length > 1) expect(cutWhileRunning).toBe(expected.length - 1);
      // And what is stored reads back as the events.
      const index = readChunkIndex(stored);
      expect(index.map((c) => c.to - c.from)).toEqual(expected.map((c) => c.count));
      for (const [i, chunk] of index.entries()) expect(`[${(await readChunk(stored, chunk)).map((e) => e.json).join(",")}]`).toBe(expected[i]!.json);
    });
  }

  it("a command that recorded nothing stores an empty index and sends nothing live", async () => {
    const chunker = new EventChunker({ live: true });
    chunker.add([]);
    expect(chunker.cut(true)).toBe(false);
    expect(chunker.liveJson()).toEqual([]);
    expect(readChunkIndex(chunker.finish())).toEqual([]);
  });

  it("without live watchers, stores the same bytes and keeps no chunk's events for them", () => {
    const command = { ...NGINX1, command: "ping -c 100 172.17.0.3" };
    const whole = labEngine("bridge-two-containers").run(command).events;
    const chunker = new EventChunker({ live: false });
    chunker.add(whole);
    while (chunker.cut(true));
    expect(Buffer.from(chunker.finish()).equals(Buffer.from(encodeCompactTrace(whole)))).toBe(true);
    expect(() => chunker.liveJson()).toThrow(/kept no live chunks/);
  });
});
