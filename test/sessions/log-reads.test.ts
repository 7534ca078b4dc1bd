/**
 * The log's reads on the hot paths go through the database driver
 * (log-reads.ts), not Prisma: they must give what Prisma reads from the same
 * rows, on SQLite and on PostgreSQL (npm run test:pg), whoever wrote the row:
 * the command writer (its own SQL) or Prisma itself.
 */
import { describe, expect, it } from "vitest";
import { commandWriter } from "../../server/sessions/command-writer.js";
import { logReads } from "../../server/sessions/log-reads.js";
import { buildTestApp, createToken, startSession } from "../helpers/build-app.js";
import { CPU_BUDGET_STOP, EMPTY_TRACE, logRow } from "../helpers/command-log-rows.js";

describe("the log's reads through the driver", () => {
  it("read the rows a replay needs, their seq ranges and the session's start parameters as Prisma does", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const id = await startSession(app, alice.token);
    const write = commandWriter(app.database);
    const rows = [logRow(0, 0, 5), { ...logRow(1, 5, 5), interruption: CPU_BUDGET_STOP }, logRow(2, 5, 40)];
    for (const r of rows) await write([{ sessionId: id, command: r }]);
    // A row Prisma writes itself, with its own way of storing dates.
    const byPrisma = logRow(3, 40, 41);
    const { events: _events, interruption: _interruption, ...prismaRow } = byPrisma;
    await app.prisma.sessionCommand.create({ data: { ...prismaRow, sessionId: id, at: BigInt(byPrisma.at), events: "", eventsDeflated: new Uint8Array(EMPTY_TRACE) } });
    rows.push(byPrisma);

    const reads = logReads(app.database);
    const replayRows = await reads.replayRows(id);
    expect(replayRows).toEqual(
      rows.map((r) => ({ index: r.index, host: r.host, namespace: r.namespace, command: r.command, at: r.at, eventsTo: r.eventsTo, createdAt: r.createdAt, interruption: r.interruption })),
    );
    // What Prisma reads from the same rows.
    const viaPrisma = await app.prisma.sessionCommand.findMany({ where: { sessionId: id }, orderBy: { index: "asc" }, select: { index: true, at: true, createdAt: true } });
    expect(replayRows.map((r) => ({ index: r.index, at: BigInt(r.at), createdAt: r.createdAt }))).toEqual(viaPrisma);

    // Ranges from a seq: rows ending after it (an empty one too), in log order, at most `take`.
    expect(await reads.eventRanges(id, 0, 10)).toEqual([
      { index: 0, eventsFrom: 0, eventsTo: 5 },
      { index: 1, eventsFrom: 5, eventsTo: 5 },
      { index: 2, eventsFrom: 5, eventsTo: 40 },
      { index: 3, eventsFrom: 40, eventsTo: 41 },
    ]);
    expect(await reads.eventRanges(id, 5, 1)).toEqual([{ index: 2, eventsFrom: 5, eventsTo: 40 }]);
    expect(await reads.eventRanges(id, 4, 2)).toEqual([
      { index: 0, eventsFrom: 0, eventsTo: 5 },
      { index: 1, eventsFrom: 5, eventsTo: 5 },
    ]);
    expect(await reads.eventRanges(id, 41, 10)).toEqual([]);

    const session = await app.prisma.session.findUniqueOrThrow({ where: { id } });
    const base = await reads.replayBase(id);
    expect(base).toEqual({
      topology: JSON.parse(session.topology),
      seed: session.seed,
      startTime: Number(session.startTime),
      limits: expect.objectContaining(JSON.parse(session.limits!)),
      ownerId: alice.id,
      storedBytes: session.storedBytes,
    });
    expect(base!.storedBytes).toBeGreaterThan(0);
    expect(await reads.replayBase("00000000-0000-4000-8000-000000000000")).toBeNull();
    expect(await reads.replayRows("00000000-0000-4000-8000-000000000000")).toEqual([]);

    // Stored events by the rows' eventsTo: the deflated blob of each row in the range, by index.
    const texts = await reads.eventTexts(id, 5, 40);
    expect([...texts.keys()].sort()).toEqual([0, 1, 2]);
    const stored = texts.get(2);
    expect(stored !== undefined && "chunked" in stored && Buffer.from(stored.chunked).equals(Buffer.from(EMPTY_TRACE))).toBe(true);
    expect(await reads.eventTexts(id, 42, 50)).toEqual(new Map());

    // A token's stored bytes over its sessions, as Prisma sums them; none for a token with no session.
    const second = await startSession(app, alice.token);
    await write([{ sessionId: second, command: logRow(0, 0, 3) }]);
    const { _sum } = await app.prisma.session.aggregate({ where: { ownerId: alice.id }, _sum: { storedBytes: true } });
    expect(await reads.tokenStoredBytes(alice.id)).toBe(_sum.storedBytes);
    expect(await reads.tokenStoredBytes(alice.id)).toBeGreaterThan(session.storedBytes);
    const bob = await createToken(app, "Bob");
    expect(await reads.tokenStoredBytes(bob.id)).toBe(0);
  });
});
