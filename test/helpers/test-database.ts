/**
 * A fresh, migrated database for one test. On SQLite (npm test): a copy of
 * the template file global-setup.ts migrated, in a folder removed after the
 * test. On PostgreSQL (npm run test:pg, CNLAB_TEST_DATABASE set): a database
 * of its own made from the template database global-setup.ts migrated
 * (CREATE DATABASE … TEMPLATE copies its files, no migration run), dropped
 * after the test.
 *
 * Tests about SQLite itself (its file, its bookkeeping read with
 * better-sqlite3) ask for `freshSqliteDatabase`: they keep testing SQLite
 * under test:pg too, where the SQLite path still ships.
 */
import { copyFile, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { inject, onTestFinished } from "vitest";
import { tempDir } from "./temp-dir.js";

export type TestDatabase = SqliteTestDatabase | { kind: "postgresql"; url: string };
export interface SqliteTestDatabase {
  kind: "sqlite";
  url: string;
  file: string;
}

/** The PostgreSQL server the tests run on, as global-setup.ts made it ready; null on SQLite. */
export interface PostgresqlTestServer {
  /** A URL of the server's maintenance database, for CREATE and DROP DATABASE. */
  adminUrl: string;
  /** The migrated database new ones are copied from. */
  template: string;
  /** Every database of this run starts with it, so the teardown finds what a test left behind. */
  prefix: string;
}

/** Which database the suite runs on. */
export function testDatabaseKind(): TestDatabase["kind"] {
  return inject("postgresqlTestServer") === null ? "sqlite" : "postgresql";
}

export async function freshDatabase(): Promise<TestDatabase> {
  const server = inject("postgresqlTestServer");
  if (server === null) return freshSqliteDatabase();
  const database = await createDatabase(server);
  onTestFinished(() => dropDatabase(server, database.name));
  return { kind: "postgresql", url: database.url };
}

export async function freshSqliteDatabase(): Promise<SqliteTestDatabase> {
  return templateCopy(await tempDir("cnlab-db-"));
}

/** A fresh database for a block of tests (sharedTestApp): `remove` drops it when the block is done. */
export async function blockDatabase(): Promise<{ url: string; remove: () => Promise<void> }> {
  const server = inject("postgresqlTestServer");
  if (server === null) {
    const dir = await mkdtemp(path.join(tmpdir(), "cnlab-db-"));
    return { url: (await templateCopy(dir)).url, remove: () => rm(dir, { recursive: true, force: true }) };
  }
  const database = await createDatabase(server);
  return { url: database.url, remove: () => dropDatabase(server, database.name) };
}

/** An empty PostgreSQL database (nothing migrated), dropped after the test; for tests of migrating. */
export async function emptyPostgresqlDatabase(server: PostgresqlTestServer): Promise<string> {
  const name = `${server.prefix}_${process.pid}_${++made}`;
  await adminPool(server).query(`CREATE DATABASE "${name}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
  onTestFinished(() => dropDatabase(server, name));
  return databaseUrl(server.adminUrl, name);
}

/** A copy of the migrated SQLite template in `dir`, which the caller removes. */
export async function templateCopy(dir: string): Promise<SqliteTestDatabase> {
  const file = path.join(dir, "cnlab.db");
  await copyFile(inject("templateDatabase"), file);
  return { kind: "sqlite", file, url: `file:${file}` };
}

/** The admin connection of this test worker; one at a time is all it needs. */
let admin: pg.Pool | undefined;
let made = 0;

function adminPool(server: PostgresqlTestServer): pg.Pool {
  // An idle connection must not keep the worker alive, nor count against the server's connections for long.
  admin ??= new pg.Pool({ connectionString: server.adminUrl, max: 1, idleTimeoutMillis: 1000, allowExitOnIdle: true });
  return admin;
}

/** The URL of database `name` on the same server, as the same role. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function createDatabase(server: PostgresqlTestServer): Promise<{ name: string; url: string }> {
  const name = `${server.prefix}_${process.pid}_${++made}`;
  await adminPool(server).query(`CREATE DATABASE "${name}" TEMPLATE "${server.template}"`);
  return { name, url: databaseUrl(server.adminUrl, name) };
}

async function dropDatabase(server: PostgresqlTestServer, name: string): Promise<void> {
  // FORCE: a connection the test left open (an app it did not close) does not keep the database.
  // An autovacuum worker in it can be ended only by a member of pg_signal_backend (CI grants it):
  // a role without it waits for the worker to finish instead.
  for (let attempt = 1; ; attempt++) {
    try {
      await adminPool(server).query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      return;
    } catch (err) {
      const insufficientPrivilege = (err as { code?: string }).code === "42501";
      if (!insufficientPrivilege || attempt === 20) throw err;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
}
