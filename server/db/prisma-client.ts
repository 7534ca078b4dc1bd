/**
 * The one place a Prisma client is made: the generated client on the
 * better-sqlite3 driver adapter, so no Rust query engine is involved.
 *
 * `openDatabase` also hands out the adapter's own SQLite connection, for the
 * one path where Prisma's per-query cost matters (the session command log,
 * sessions/command-writer.ts). Sharing the connection, rather than opening a
 * second one, means the two can never hold conflicting locks.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import type BetterSqlite3 from "better-sqlite3";
import { PrismaClient } from "../generated/prisma/client.js";

export type { PrismaClient };
export type SqliteConnection = BetterSqlite3.Database;

export interface DatabaseHandle {
  prisma: PrismaClient;
  /** Prisma's SQLite connection; available once `prisma.$connect()` has resolved. */
  connection(): SqliteConnection;
}

/** The adapter factory, remembering the connection the adapter it makes opens. */
class SharedConnectionAdapter extends PrismaBetterSQLite3 {
  connection: SqliteConnection | null = null;

  override async connect() {
    const adapter = await super.connect();
    const client = (adapter as unknown as { client?: SqliteConnection }).client;
    if (client === undefined || typeof client.prepare !== "function") {
      throw new Error("the SQLite driver adapter no longer exposes its connection (adapter.client); the command log needs it");
    }
    this.connection = client;
    return adapter;
  }
}

export function openDatabase(databaseUrl: string): DatabaseHandle {
  const adapter = new SharedConnectionAdapter({ url: databaseUrl });
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    connection() {
      if (adapter.connection === null) throw new Error("the database is not connected yet");
      return adapter.connection;
    },
  };
}

export function createPrismaClient(databaseUrl: string): PrismaClient {
  return openDatabase(databaseUrl).prisma;
}
