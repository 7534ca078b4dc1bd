/**
 * The one place a Prisma client is made, on the database DATABASE_URL names:
 * SQLite through the better-sqlite3 driver adapter, PostgreSQL through the pg
 * one, so no Rust query engine is involved either way.
 *
 * Prisma's generated client is provider-specific, so there are two, generated
 * from one data model (server/db/postgresql-schema.ts). The code is written
 * against the SQLite client's type: the PostgreSQL client has the same models,
 * fields and methods (and a few query options more, which we do not use), so
 * it is handed out under that type.
 *
 * `openDatabase` also hands out the driver's own connection, for the paths
 * where Prisma's per-query cost matters (the session command log,
 * sessions/command-writer.ts, and reading stored events): SQLite's is the
 * adapter's own connection (sharing it means the two never hold conflicting
 * locks); PostgreSQL's is the pool the adapter queries through.
 */
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { PrismaPg } from "@prisma/adapter-pg";
import type BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { PrismaClient as PostgresqlPrismaClient } from "../generated/prisma-pg/client.js";
import { PrismaClient } from "../generated/prisma/client.js";
import { databaseLocation, type DatabaseLocation } from "./database-url.js";

export type { PrismaClient };
export type SqliteConnection = BetterSqlite3.Database;

/** The driver under Prisma, for the queries written by hand. */
export type DatabaseDriver = { kind: "sqlite"; connection: SqliteConnection } | { kind: "postgresql"; pool: pg.Pool };

export interface DatabaseHandle {
  prisma: PrismaClient;
  location: DatabaseLocation;
  /** The driver; available once `prisma.$connect()` has resolved (SQLite's connection is opened then). */
  driver(): DatabaseDriver;
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
  const location = databaseLocation(databaseUrl);
  switch (location.kind) {
    case "sqlite": {
      const adapter = new SharedConnectionAdapter({ url: location.url });
      return {
        prisma: new PrismaClient({ adapter }),
        location,
        driver() {
          if (adapter.connection === null) throw new Error("the database is not connected yet");
          return { kind: "sqlite", connection: adapter.connection };
        },
      };
    }
    case "postgresql": {
      const pool = new pg.Pool({ connectionString: location.url });
      // $disconnect ends the pool too, as it closes SQLite's connection.
      const prisma = new PostgresqlPrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) }) as unknown as PrismaClient;
      return { prisma, location, driver: () => ({ kind: "postgresql", pool }) };
    }
    default:
      return location satisfies never;
  }
}

export function createPrismaClient(databaseUrl: string): PrismaClient {
  return openDatabase(databaseUrl).prisma;
}
