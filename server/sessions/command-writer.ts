/**
 * Writes groups of command rows through the database driver under Prisma.
 * Prisma's query engine costs about a millisecond of CPU per query, which on
 * the command path would cost more than the simulation.
 *
 * SQLite: a prepared statement per row in one transaction on Prisma's own
 * connection, tens of microseconds per row. Its statements never interleave
 * with Prisma's: ours run synchronously, start to finish, in one turn of the
 * event loop, and only when Prisma has no transaction open on the connection
 * (one of Prisma's may span several turns; we wait for it to end).
 *
 * PostgreSQL: one multi-row INSERT per group through Prisma's pool, one round
 * trip. A statement is atomic, so the group is committed whole or not at all,
 * like SQLite's transaction; the rows' triggers fire in the order of the
 * VALUES list.
 *
 * The rows are written as Prisma writes them (DateTime as ISO 8601 text with
 * +00:00 on SQLite, UTC in a timestamp column on PostgreSQL; BigInt `at`), so
 * Prisma reads them back like its own; the session's counters follow, and
 * the append order is checked, by trigger (migration command_log_order, on
 * both databases). Either way the promise resolves only once the rows are
 * committed.
 */
import type pg from "pg";
import type { DatabaseDriver, SqliteConnection } from "../db/prisma-client.js";
import type { LogEntry } from "./command-log.js";
import { outsidePrismaTransaction } from "../db/sqlite-statements.js";

export type CommandWriter = (entries: readonly LogEntry[]) => Promise<void>;

const COLUMNS = ["sessionId", "index", "host", "namespace", "command", "output", "exitCode", "at", "eventsFrom", "eventsTo", "events", "eventsDeflated", "interruption", "createdAt"];
const COLUMN_LIST = COLUMNS.map((name) => `"${name}"`).join(", ");

/** How Prisma's SQLite adapter stores a DateTime. */
export function prismaDateTime(date: Date): string {
  return date.toISOString().replace("Z", "+00:00");
}

/** A row's values in COLUMNS order; `createdAt` as the database's driver takes it. */
function rowValues({ sessionId, command: c }: LogEntry, createdAt: string): unknown[] {
  return [
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
    createdAt,
  ];
}

export function commandWriter(driver: DatabaseDriver): CommandWriter {
  switch (driver.kind) {
    case "sqlite":
      return sqliteCommandWriter(driver.connection);
    case "postgresql":
      return postgresqlCommandWriter(driver.pool);
    default:
      return driver satisfies never;
  }
}

export function sqliteCommandWriter(connection: SqliteConnection): CommandWriter {
  const insert = connection.prepare(`INSERT INTO "SessionCommand" (${COLUMN_LIST}) VALUES (${COLUMNS.map(() => "?").join(", ")})`);
  const writeAll = connection.transaction((entries: readonly LogEntry[]) => {
    for (const entry of entries) insert.run(...rowValues(entry, prismaDateTime(entry.command.createdAt)));
  });
  return async (entries) => {
    await outsidePrismaTransaction(connection);
    writeAll(entries);
  };
}

/** PostgreSQL takes at most 65 535 parameters in one statement. */
const MAX_POSTGRESQL_ROWS = Math.floor(65_535 / COLUMNS.length);

export function postgresqlCommandWriter(pool: pg.Pool): CommandWriter {
  return async (entries) => {
    if (entries.length > MAX_POSTGRESQL_ROWS) throw new RangeError(`at most ${MAX_POSTGRESQL_ROWS} command rows in one group on PostgreSQL`);
    const values: unknown[] = [];
    const tuples: string[] = [];
    for (const entry of entries) {
      const first = values.length;
      // A timestamp column ignores the zone in its text: the UTC time is stored, as Prisma stores it.
      const row = rowValues(entry, entry.command.createdAt.toISOString()).map((value) =>
        typeof value === "bigint" ? value.toString() : value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : value,
      );
      values.push(...row);
      tuples.push(`(${row.map((_, i) => `$${first + i + 1}`).join(", ")})`);
    }
    await pool.query(`INSERT INTO "SessionCommand" (${COLUMN_LIST}) VALUES ${tuples.join(", ")}`, values);
  };
}
