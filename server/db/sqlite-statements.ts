/**
 * What the statements written by hand beside Prisma need on SQLite, where they
 * share Prisma's connection (prisma-client.ts): each is written once with
 * PostgreSQL's numbered placeholders and given to SQLite with its own, and a
 * write waits for a transaction Prisma holds open on the connection, which one
 * of ours run now would join.
 */
import type { SqliteConnection } from "./prisma-client.js";

/** `$1`, `$2` … as SQLite's `?`: the parameters are passed in the same order. */
export function sqlitePlaceholders(sql: string): string {
  return sql.replace(/\$[0-9]+/g, "?");
}

/** Resolves once Prisma has no transaction open on the connection (one of Prisma's may span several turns of the event loop). */
export async function outsidePrismaTransaction(connection: SqliteConnection): Promise<void> {
  while (connection.inTransaction) await new Promise((resolve) => setTimeout(resolve, 1));
}
