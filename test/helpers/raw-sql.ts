/**
 * SQL written by hand in a test, on whichever database the app runs on
 * (SQLite, or PostgreSQL under `npm run test:pg`): parameters are written
 * $1, $2 … as PostgreSQL spells them and become ? on SQLite. Integers come
 * back as numbers, blobs as Uint8Array (Buffer), on both; a statement that
 * returns no rows gives [].
 */
import type { DatabaseDriver } from "../../server/db/prisma-client.js";

export async function queryRows<T>(database: DatabaseDriver, sql: string, params: unknown[] = []): Promise<T[]> {
  switch (database.kind) {
    case "sqlite": {
      const statement = database.connection.prepare(sql.replace(/\$[0-9]+/g, "?"));
      if (!statement.reader) {
        statement.run(...params);
        return [];
      }
      return statement.safeIntegers(false).all(...params) as T[];
    }
    case "postgresql":
      return (await database.pool.query(sql, params)).rows as T[];
    default:
      return database satisfies never;
  }
}

/** Runs the statement written for the app's database. */
export async function execSql(database: DatabaseDriver, sql: { sqlite: string; postgresql: string }): Promise<void> {
  switch (database.kind) {
    case "sqlite":
      database.connection.exec(sql.sqlite);
      return;
    case "postgresql":
      await database.pool.query(sql.postgresql);
      return;
    default:
      return database satisfies never;
  }
}
