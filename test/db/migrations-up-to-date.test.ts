/**
 * A start skips the Prisma CLI only when the database provably has every
 * committed migration; any doubt sends it to `prisma migrate deploy`, which
 * applies or refuses as always. These are about the SQLite file and run on
 * SQLite under test:pg too; PostgreSQL's side is in postgresql-schema.test.ts.
 */
import { cp, writeFile } from "node:fs/promises";
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { migrationsUpToDate } from "../../server/db/migrations-up-to-date.js";
import { PROJECT_ROOT } from "../../server/db/prepare-database.js";
import { freshSqliteDatabase } from "../helpers/test-database.js";
import { tempDir } from "../helpers/temp-dir.js";

const MIGRATIONS = path.join(PROJECT_ROOT, "prisma", "migrations");

function run(file: string, sql: string): void {
  const db = new Database(file);
  try {
    db.exec(sql);
  } finally {
    db.close();
  }
}

describe("migrationsUpToDate", () => {
  it("is true for a database migrated by prisma migrate deploy", async () => {
    const { file } = await freshSqliteDatabase();
    expect(migrationsUpToDate(file, MIGRATIONS)).toBe(true);
  });

  it("is false for no file, an empty file and a database without Prisma's table", async () => {
    const dir = await tempDir();
    expect(migrationsUpToDate(path.join(dir, "missing.db"), MIGRATIONS)).toBe(false);
    await writeFile(path.join(dir, "empty.db"), "");
    expect(migrationsUpToDate(path.join(dir, "empty.db"), MIGRATIONS)).toBe(false);
    run(path.join(dir, "other.db"), "CREATE TABLE t (x INTEGER)");
    expect(migrationsUpToDate(path.join(dir, "other.db"), MIGRATIONS)).toBe(false);
  });

  it("is false when a committed migration is missing from the table", async () => {
    const { file } = await freshSqliteDatabase();
    run(file, "DELETE FROM _prisma_migrations WHERE migration_name = (SELECT max(migration_name) FROM _prisma_migrations)");
    expect(migrationsUpToDate(file, MIGRATIONS)).toBe(false);
  });

  it("is false when an applied migration's file has changed since (its checksum differs)", async () => {
    const { file } = await freshSqliteDatabase();
    const copy = path.join(await tempDir(), "migrations");
    await cp(MIGRATIONS, copy, { recursive: true });
    expect(migrationsUpToDate(file, copy)).toBe(true);
    await writeFile(path.join(copy, "20261129000000_init", "migration.sql"), "-- edited\n", { flag: "a" });
    expect(migrationsUpToDate(file, copy)).toBe(false);
  });

  it("is false while a failed attempt is recorded, and for a migration rolled back", async () => {
    const failed = (await freshSqliteDatabase()).file;
    run(failed, "INSERT INTO _prisma_migrations (id, checksum, migration_name, started_at, applied_steps_count) VALUES ('x', 'y', '29991231000000_half', '2026-01-01', 0)");
    expect(migrationsUpToDate(failed, MIGRATIONS)).toBe(false);
    const rolledBack = (await freshSqliteDatabase()).file;
    run(rolledBack, "UPDATE _prisma_migrations SET rolled_back_at = finished_at WHERE migration_name = '20261129000000_init'");
    expect(migrationsUpToDate(rolledBack, MIGRATIONS)).toBe(false);
  });
});
