/**
 * Reading a session's stored trace: streams that replay the same rows at the
 * same moment (a class connecting together) share each row's read and each
 * chunk's decoding, and a failed read is not kept for the next one.
 */
import { describe, expect, it } from "vitest";
import type { TraceEvent } from "../../server/engine/index.js";
import type { EventRange, LogReads, StoredEventsColumn } from "../../server/sessions/log-reads.js";
import { StoredEvents } from "../../server/sessions/stored-events.js";
import { encodeCompactTrace } from "../../server/simulator/stored-trace.js";

const SESSION = "00000000-0000-4000-8000-000000000001";

function events(count: number): TraceEvent[] {
  return Array.from({ length: count }, (_, seq): TraceEvent => ({
    seq,
    time: seq * 10,
    kind: "route-lookup",
    host: "node1",
    namespace: "root",
    device: null,
    packetId: null,
    layers: null,
    summary: `lookup ${seq}`,
    destination: "10.0.0.1",
    table: "main",
    route: null,
    nextHop: null,
    outDevice: null,
    reason: "no route matched",
    candidates: 0,
  }));
}

/** One row of `count` events, stored as the worker stores them; counts the row reads and can fail the next ones. */
function oneRow(count: number) {
  const blob = encodeCompactTrace(events(count));
  const state = { rowReads: 0, failNext: 0 };
  const reads: Pick<LogReads, "eventRanges" | "eventTexts"> = {
    async eventRanges(_session, fromSeq): Promise<EventRange[]> {
      return fromSeq < count ? [{ index: 0, eventsFrom: 0, eventsTo: count }] : [];
    },
    async eventTexts(): Promise<Map<number, StoredEventsColumn>> {
      state.rowReads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (state.failNext > 0) {
        state.failNext--;
        throw new Error("the database is gone");
      }
      return new Map([[0, { chunked: blob }]]);
    },
  };
  return { reads, state };
}

async function replay(stored: StoredEvents, fromSeq = 0) {
  const pieces = [];
  for await (const piece of stored.piecesFrom(SESSION, fromSeq)) pieces.push(piece.events());
  return pieces;
}

describe("stored events", () => {
  it("streams replaying the same rows at once share one read of each row and one decoding of each chunk", async () => {
    const { reads, state } = oneRow(2_500);
    const stored = new StoredEvents(reads);
    const together = await Promise.all(Array.from({ length: 20 }, () => replay(stored)));
    expect(state.rowReads).toBe(1);
    // Three chunks (1,000, 1,000, 500 events), each decoded once: every stream got the same pieces.
    expect(together[0]!.map((piece) => piece.length)).toEqual([1000, 1000, 500]);
    for (const pieces of together.slice(1)) pieces.forEach((piece, n) => expect(piece).toBe(together[0]![n]));
    expect(together[0]![2]!.at(-1)!.seq).toBe(2_499);
    // Later streams find it all in the caches.
    await replay(stored, 1_500);
    expect(state.rowReads).toBe(1);
  });

  it("a read that fails fails every stream waiting on it, and the next stream reads again", async () => {
    const { reads, state } = oneRow(10);
    const stored = new StoredEvents(reads);
    state.failNext = 1;
    const failed = await Promise.allSettled([replay(stored), replay(stored)]);
    expect(failed.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(state.rowReads).toBe(1);
    const again = await replay(stored);
    expect(again.flat().map((e) => e.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(state.rowReads).toBe(2);
  });
});
