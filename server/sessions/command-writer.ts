/**
 * Writes groups of command rows straight through Prisma's SQLite connection.
 * Prisma's query engine costs about a millisecond of CPU per query, which on
 * the command path would cost more than the simulation; a prepared statement
 * in one SQLite transaction costs tens of microseconds per row.
 *
 * The connection is Prisma's own. Its statements never interleave with
 * ours: ours run synchronously, start to finish, in one turn of the event
 * loop, and only when Prisma has no transaction open on the connection (one
 * of Prisma's may span several turns; we wait for it to end).
 *
 * The rows are written as Prisma writes them (DateTime as ISO 8601 text with
 * +00:00, BigInt `at`), so Prisma reads them back like its own; the session's
 * counters follow, and the append order is checked, by trigger (migration
 * command_log_order). A PostgreSQL
 * deployment would write through Prisma here instead.
 */
import type { SqliteConnection } from "../db/prisma-client.js";
import type { LogEntry } from "./command-log.js";

const COLUMNS = ["sessionId", "index", "host", "namespace", "command", "output", "exitCode", "at", "eventsFrom", "eventsTo", "events", "eventsDeflated", "interruption", "createdAt"];

/** How Prisma's SQLite adapter stores a DateTime. */
export function prismaDateTime(date: Date): string {
  return date.toISOString().replace("Z", "+00:00");
}

export function sqliteCommandWriter(connection: SqliteConnection): (entries: readonly LogEntry[]) => Promise<void> {
  const insert = connection.prepare(
    `INSERT INTO "SessionCommand" (${COLUMNS.map((name) => `"${name}"`).join(", ")}) VALUES (${COLUMNS.map(() => "?").join(", ")})`,
  );
  const writeAll = connection.transaction((entries: readonly LogEntry[]) => {
    for (const { sessionId, command: c } of entries) {
      insert.run(
        sessionId,
        c.index,
        c.host,
        c.namespace,
        c.command,
        c.output,
        c.exitCode,
        BigInt(c.at),
        c.eventsFrom,
        c.eventsTo,
        // The text column is for rows written before events were stored deflated.
        "",
        c.events,
        c.interruption === null ? null : JSON.stringify(c.interruption),
        prismaDateTime(c.createdAt),
      );
    }
  });
  return async (entries) => {
    // A Prisma transaction is open on the connection: our rows would join it.
    while (connection.inTransaction) await new Promise((resolve) => setTimeout(resolve, 1));
    writeAll(entries);
  };
}
