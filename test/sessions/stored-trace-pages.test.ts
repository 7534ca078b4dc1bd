/**
 * A long command's trace is stored in chunks (simulator/stored-trace.ts):
 * pages that start and end anywhere, across chunk borders, give the events
 * the command recorded, each once, in order, as a live stream saw them.
 */
import { describe, expect, it } from "vitest";
import { CHUNK_EVENTS, readChunkIndex } from "../../server/simulator/stored-trace.js";
import { bearer, buildTestApp, createToken, runCommand, startSession } from "../helpers/build-app.js";
import { queryRows } from "../helpers/raw-sql.js";

describe("a long command's stored trace", () => {
  it("nginx-1 pings nginx-2 200 times: several chunks, and every page across their borders reads the same events", async () => {
    const app = await buildTestApp();
    const li = await createToken(app, "Li Wei");
    const id = await startSession(app, li.token);
    await runCommand(app, li.token, id, "node1", "ip route", "nginx-1");
    await runCommand(app, li.token, id, "node1", "ping -c 200 -i 0.2 172.17.0.3", "nginx-1");

    const rows = await queryRows<{ eventsFrom: number; eventsTo: number; blob: Uint8Array }>(
      app.database,
      `SELECT "eventsFrom", "eventsTo", "eventsDeflated" AS blob FROM "SessionCommand" WHERE "sessionId" = $1 ORDER BY "index"`,
      [id],
    );
    const ping = rows[1]!;
    const chunks = readChunkIndex(ping.blob);
    expect(chunks.length).toBe(Math.ceil((ping.eventsTo - ping.eventsFrom) / CHUNK_EVENTS));
    expect(chunks.length).toBeGreaterThan(2);
    expect(chunks[0]!.from).toBe(ping.eventsFrom);
    expect(chunks.at(-1)!.to).toBe(ping.eventsTo);

    const page = async (from: number, limit: number) =>
      (await app.inject({ url: `/api/sessions/${id}/events?from=${from}&limit=${limit}`, headers: bearer(li.token) })).json<{ events: { seq: number }[]; next: number }>();
    const all: { seq: number }[] = [];
    for (let from = 0; from < ping.eventsTo; ) {
      // 777 events a page: pages begin and end inside chunks, and cross their borders.
      const p = await page(from, 777);
      all.push(...p.events);
      from = p.next;
    }
    expect(all.map((e) => e.seq)).toEqual(Array.from({ length: ping.eventsTo }, (_, i) => i));
    const border = chunks[1]!.from;
    const across = await page(border - 2, 4);
    expect(across.events).toEqual(all.slice(border - 2, border + 2));
  });
});
