/**
 * Whether a database already has every committed migration, read straight
 * from Prisma's own bookkeeping table (`_prisma_migrations`): each folder in
 * prisma/migrations applied, finished, not rolled back, with the checksum
 * (SHA-256 of its migration.sql) Prisma recorded, and no failed attempt
 * left behind. Then starting the Prisma CLI, which costs seconds of CPU,
 * would do nothing, and a start can skip it.
 *
 * It decides nothing else: any doubt (no file, no table, a missing, changed
 * or failed migration, a file SQLite cannot read, a PostgreSQL database
 * without the table) answers false, and the
 * caller runs `prisma migrate deploy`, which applies, reports or refuses
 * exactly as it always does.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type pg from "pg";

interface MigrationRow {
  migration_name: string;
  checksum: string;
  finished_at: string | Date | null;
  rolled_back_at: string | Date | null;
}

/** A SQLite file's migrations, read without the Prisma CLI. */
export function migrationsUpToDate(databaseFile: string, migrationsDir: string): boolean {
  if (!existsSync(databaseFile)) return false;
  let rows: MigrationRow[];
  try {
    const db = new Database(databaseFile, { readonly: true, fileMustExist: true });
    try {
      rows = db.prepare(MIGRATIONS_SQL).all() as MigrationRow[];
    } finally {
      db.close();
    }
  } catch {
    return false;
  }
  return rowsUpToDate(rows, migrationsDir);
}

/** A PostgreSQL database's migrations, read on a client the caller connected. */
export async function postgresqlMigrationsUpToDate(client: pg.ClientBase, migrationsDir: string): Promise<boolean> {
  // to_regclass: no error (which would abort a transaction the caller holds) when the table is missing.
  const { rows: tables } = await client.query<{ found: boolean }>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS found`);
  if (tables[0]?.found !== true) return false;
  const { rows } = await client.query<MigrationRow>(MIGRATIONS_SQL);
  return rowsUpToDate(rows, migrationsDir);
}

const MIGRATIONS_SQL = "SELECT migration_name, checksum, finished_at, rolled_back_at FROM _prisma_migrations";

function rowsUpToDate(rows: readonly MigrationRow[], migrationsDir: string): boolean {
  // A failed attempt (started, neither finished nor rolled back) blocks deploy: let the CLI say so.
  if (rows.some((row) => row.finished_at === null && row.rolled_back_at === null)) return false;
  const applied = new Map(rows.filter((row) => row.finished_at !== null && row.rolled_back_at === null).map((row) => [row.migration_name, row.checksum]));
  for (const entry of readdirSync(migrationsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const sqlFile = path.join(migrationsDir, entry.name, "migration.sql");
    if (!existsSync(sqlFile)) continue;
    const checksum = createHash("sha256").update(readFileSync(sqlFile)).digest("hex");
    if (applied.get(entry.name) !== checksum) return false;
  }
  return true;
}
