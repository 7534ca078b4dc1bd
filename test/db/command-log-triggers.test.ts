/**
 * The command log's append trigger does the same on SQLite and PostgreSQL
 * (migration command_log_order and its twin): it moves the session's
 * counters with each row, counts the bytes the row stores as UTF-8, and
 * refuses a row whose index is not the next one, also when two writers race
 * for the same index. Runs on whichever database the suite runs on.
 */
import { describe, expect, it } from "vitest";
import { commandWriter, prismaDateTime } from "../../server/sessions/command-writer.js";
import type { NewCommand } from "../../server/sessions/session-repository.js";
import { buildTestApp, createToken, startSession } from "../helpers/build-app.js";
import { logRow } from "../helpers/command-log-rows.js";
import { queryRows } from "../helpers/raw-sql.js";

const AT = new Date(Date.UTC(2026, 11, 4, 9, 30, 15, 250));

/** A row whose output is not ASCII, written at AT, with events of the test's choosing. */
const command = (index: number, events: Uint8Array): NewCommand => ({ ...logRow(index, 0, 4), output: "网络\n", events, createdAt: AT });

describe("the command log's append trigger", () => {
  it("counts what a row stores in bytes: the output as UTF-8, old rows' event text, new rows' deflated events", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const id = await startSession(app, alice.token);
    // A row as servers before compression wrote it: events as text.
    await queryRows(
      app.database,
      `INSERT INTO "SessionCommand" ("sessionId", "index", "host", "command", "output", "exitCode", "at", "eventsFrom", "eventsTo", "events", "createdAt") VALUES ($1, 0, 'node1', 'ip link', $2, 0, 5, 0, 2, $3, $4)`,
      [id, "链路 é\n", "[1,2]", prismaDateTime(AT)],
    );
    await commandWriter(app.database)([{ sessionId: id, command: command(1, new Uint8Array([1, 2, 3, 4, 5])) }]);

    const [session] = await queryRows<{ commandCount: number; nextSeq: number; storedBytes: number }>(
      app.database,
      `SELECT "commandCount", "nextSeq", "storedBytes" FROM "Session" WHERE "id" = $1`,
      [id],
    );
    // "链路 é\n": 6 + 1 + 2 + 1 bytes, "[1,2]": 5; "网络\n": 7, five deflated bytes.
    expect(session).toEqual({ commandCount: 2, nextSeq: 4, storedBytes: 10 + 5 + 7 + 5 });
    const read = await app.prisma.session.findUniqueOrThrow({ where: { id }, select: { lastCommandAt: true, updatedAt: true } });
    expect(read).toEqual({ lastCommandAt: AT, updatedAt: AT });
  });

  it("two writers racing for the same index: one row is kept, the other refused, and the counters count one", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const id = await startSession(app, alice.token);
    const write = commandWriter(app.database);
    const results = await Promise.allSettled([
      write([{ sessionId: id, command: command(0, new Uint8Array([1])) }]),
      write([{ sessionId: id, command: { ...command(0, new Uint8Array([2])), command: "ip link" } }]),
    ]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    expect((results.find((r) => r.status === "rejected") as PromiseRejectedResult).reason).toMatchObject({ message: expect.stringMatching(/index out of order/) });
    expect(await app.prisma.sessionCommand.count({ where: { sessionId: id } })).toBe(1);
    expect(await app.prisma.session.findUniqueOrThrow({ where: { id }, select: { commandCount: true } })).toEqual({ commandCount: 1 });
  });
});
