/**
 * The command log in the database is append-only and in order: rows written
 * straight through Prisma's driver read back through Prisma as written,
 * and a row whose index is not next (a fork, a hole, a deleted session) fails.
 * The same on SQLite and PostgreSQL (their own triggers, migration command_log_order).
 */
import { describe, expect, it } from "vitest";
import { commandWriter, prismaDateTime } from "../../server/sessions/command-writer.js";
import { encodeStoredTrace } from "../../server/simulator/stored-trace.js";
import type { NewCommand } from "../../server/sessions/session-repository.js";
import { buildTestApp, createToken, startSession } from "../helpers/build-app.js";
import { CPU_BUDGET_STOP, logRow } from "../helpers/command-log-rows.js";
import { queryRows } from "../helpers/raw-sql.js";

describe("the command writer", () => {
  it("writes rows Prisma reads back unchanged, and moves the session's counters", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const id = await startSession(app, alice.token);
    const write = commandWriter(app.database);

    await write([{ sessionId: id, command: logRow(0, 0, 5) }]);
    const stopped = { ...logRow(1, 5, 5), interruption: CPU_BUDGET_STOP };
    await write([{ sessionId: id, command: stopped }]);
    const withoutEvents = ({ events: _events, ...rest }: NewCommand) => rest;
    expect(await app.sessionManager.commands(id, 0, 10)).toEqual([withoutEvents(logRow(0, 0, 5)), withoutEvents(stopped)]);
    const session = await app.sessionManager.get(id);
    expect(session).toMatchObject({ commandCount: 2, nextSeq: 5, lastCommandAt: logRow(1).createdAt });
    // The append trigger counts what the rows store: outputs as UTF-8, events deflated.
    const bytes = [logRow(0, 0, 5), stopped].reduce((sum, r) => sum + Buffer.byteLength(r.output) + r.events.byteLength, 0);
    expect(session.storedBytes).toBe(bytes);
  });

  it("refuses a row out of order: a repeated index, a skipped one, or one for a session that does not exist", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const id = await startSession(app, alice.token);
    const write = commandWriter(app.database);
    await write([{ sessionId: id, command: logRow(0) }]);

    await expect(write([{ sessionId: id, command: logRow(0) }])).rejects.toThrow(/index out of order/);
    await expect(write([{ sessionId: id, command: logRow(2) }])).rejects.toThrow(/index out of order/);
    await expect(write([{ sessionId: "00000000-0000-4000-8000-000000000000", command: logRow(0) }])).rejects.toThrow(/index out of order/);
    // A group is all or nothing.
    await expect(write([{ sessionId: id, command: logRow(1) }, { sessionId: id, command: logRow(3) }])).rejects.toThrow(/index out of order/);
    expect(await app.prisma.sessionCommand.count({ where: { sessionId: id } })).toBe(1);
  });

  it("reads a row written before events were stored deflated (JSON text) and a chunked, deflated one alike, in seq order, from any seq", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const id = await startSession(app, alice.token);
    const event = (seq: number) => `{"seq":${seq},"time":0,"kind":"route-lookup","host":"node1","namespace":"root","device":null,"packetId":null,"summary":"s${seq}"}`;
    // What an older server wrote: the text in "events", nothing in "eventsDeflated" (the column did not exist).
    await queryRows(
      app.database,
      `INSERT INTO "SessionCommand" ("sessionId", "index", "host", "command", "output", "exitCode", "at", "eventsFrom", "eventsTo", "events", "createdAt") VALUES ($1, 0, 'node1', 'ip route', '', 0, 0, 0, 2, $2, $3)`,
      [id, `[${event(0)},${event(1)}]`, prismaDateTime(new Date(Date.UTC(2026, 10, 29)))],
    );
    // And a newer one: its events in chunks (here of one event each), each deflated.
    const chunked = encodeStoredTrace([2, 3].map((seq) => ({ firstSeq: seq, count: 1, json: `[${event(seq)}]` })));
    await commandWriter(app.database)([{ sessionId: id, command: { ...logRow(1, 2, 4), events: chunked } }]);
    const page = await app.sessionManager.eventsPage(id, 0, 10, {});
    expect(JSON.parse(page.eventsJson).map((e: { summary: string }) => e.summary)).toEqual(["s0", "s1", "s2", "s3"]);
    const fromThree = await app.sessionManager.eventsPage(id, 3, 10, {});
    expect(JSON.parse(fromThree.eventsJson).map((e: { summary: string }) => e.summary)).toEqual(["s3"]);
    const fromOne = await app.sessionManager.eventsSince(id, 1, 2);
    expect(fromOne.map((e) => e.seq)).toEqual([1, 2]);
    const stored = await queryRows(app.database, `SELECT length("events") AS text, length("eventsDeflated") AS deflated FROM "SessionCommand" WHERE "sessionId" = $1 ORDER BY "index"`, [id]);
    expect(stored).toEqual([
      { text: `[${event(0)},${event(1)}]`.length, deflated: null },
      { text: 0, deflated: chunked.byteLength },
    ]);
  });
});
