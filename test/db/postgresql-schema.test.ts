/**
 * One data model on two databases: the PostgreSQL schema is the SQLite one
 * with its provider changed (server/db/postgresql-schema.ts), every SQLite
 * migration has a PostgreSQL twin of the same name, and the two migration
 * folders build the same tables: columns, types, nullability, keys, indexes,
 * foreign keys and triggers. The last needs a PostgreSQL server: it runs
 * under `npm run test:pg` (and CI), and says so when it is skipped.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { postgresqlMigrationsUpToDate } from "../../server/db/migrations-up-to-date.js";
import { POSTGRESQL_SCHEMA, SQLITE_SCHEMA, postgresqlSchema } from "../../server/db/postgresql-schema.js";
import { migrationsDir, PROJECT_ROOT } from "../../server/db/prepare-database.js";
import { freshDatabase, freshSqliteDatabase, testDatabaseKind } from "../helpers/test-database.js";

const read = (file: string) => readFileSync(path.join(PROJECT_ROOT, file), "utf8");
const migrationNames = (dir: string) => readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);

describe("the PostgreSQL schema and migrations follow SQLite's", () => {
  it("prisma/postgresql/schema.prisma is what npm run db:schema:pg makes of prisma/schema.prisma", () => {
    expect(read(POSTGRESQL_SCHEMA)).toBe(postgresqlSchema(read(SQLITE_SCHEMA)));
  });

  it("every SQLite migration has a PostgreSQL twin of the same name, and no other", () => {
    const sqlite = migrationNames(migrationsDir("sqlite"));
    expect(sqlite.length).toBeGreaterThan(0);
    expect(migrationNames(migrationsDir("postgresql"))).toEqual(sqlite);
  });
});

/** A table as both databases can describe it. */
interface TableShape {
  columns: Record<string, { type: string; notNull: boolean }>;
  primaryKey: string[];
  indexes: Record<string, { columns: string[]; unique: boolean }>;
  foreignKeys: Record<string, { references: string; onDelete: string }>;
}

/** Column types as the two spell them, in Prisma's words. */
const SQLITE_TYPES: Record<string, string> = { TEXT: "String", INTEGER: "Int", BIGINT: "BigInt", DATETIME: "DateTime", BLOB: "Bytes", BOOLEAN: "Boolean" };
const POSTGRESQL_TYPES: Record<string, string> = { text: "String", int4: "Int", int8: "BigInt", timestamp: "DateTime", bytea: "Bytes", bool: "Boolean" };
const POSTGRESQL_ON_DELETE: Record<string, string> = { c: "CASCADE", n: "SET NULL", r: "RESTRICT", a: "NO ACTION", d: "SET DEFAULT" };

function sqliteShape(file: string): { tables: Record<string, TableShape>; triggers: string[] } {
  const db = new Database(file, { readonly: true });
  try {
    const names = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_prisma_migrations'`).all() as { name: string }[]).map((r) => r.name);
    const tables: Record<string, TableShape> = {};
    for (const table of names) {
      const columns = db.prepare(`PRAGMA table_info("${table}")`).all() as { name: string; type: string; notnull: number; pk: number }[];
      const indexes = (db.prepare(`PRAGMA index_list("${table}")`).all() as { name: string; unique: number; origin: string }[]).filter((i) => i.origin === "c");
      const foreignKeys = db.prepare(`PRAGMA foreign_key_list("${table}")`).all() as { table: string; from: string; to: string; on_delete: string }[];
      tables[table] = {
        columns: Object.fromEntries(columns.map((c) => [c.name, { type: SQLITE_TYPES[c.type] ?? c.type, notNull: c.notnull === 1 || c.pk > 0 }])),
        primaryKey: columns.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name),
        indexes: Object.fromEntries(
          indexes.map((i) => [i.name, { columns: (db.prepare(`PRAGMA index_info("${i.name}")`).all() as { name: string }[]).map((c) => c.name), unique: i.unique === 1 }]),
        ),
        foreignKeys: Object.fromEntries(foreignKeys.map((f) => [f.from, { references: `${f.table}.${f.to}`, onDelete: f.on_delete }])),
      };
    }
    const triggers = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    return { tables, triggers };
  } finally {
    db.close();
  }
}

async function postgresqlShape(client: pg.ClientBase): Promise<{ tables: Record<string, TableShape>; triggers: string[] }> {
  const columns = await client.query<{ table: string; name: string; type: string; notNull: boolean }>(
    `SELECT c.relname AS "table", a.attname AS name, t.typname AS type, a.attnotnull AS "notNull"
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
     WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped AND c.relname <> '_prisma_migrations'
     ORDER BY c.relname, a.attnum`,
  );
  const indexes = await client.query<{ table: string; name: string; unique: boolean; primary: boolean; columns: string[] }>(
    `SELECT t.relname AS "table", i.relname AS name, ix.indisunique AS unique, ix.indisprimary AS primary,
            array_agg(a.attname::text ORDER BY k.ord) AS columns
     FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
     CROSS JOIN LATERAL unnest(ix.indkey) WITH ORDINALITY AS k(attnum, ord)
     JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
     WHERE t.relnamespace = current_schema()::regnamespace AND t.relname <> '_prisma_migrations'
     GROUP BY t.relname, i.relname, ix.indisunique, ix.indisprimary`,
  );
  const foreignKeys = await client.query<{ table: string; column: string; references: string; onDelete: string }>(
    `SELECT c.conrelid::regclass::text AS "table", a.attname AS "column",
            trim(both '"' from c.confrelid::regclass::text) || '.' || fa.attname AS "references", c.confdeltype AS "onDelete"
     FROM pg_constraint c
     JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
     JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
     WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace`,
  );
  const triggers = await client.query<{ name: string }>(`SELECT tgname AS name FROM pg_trigger WHERE NOT tgisinternal ORDER BY tgname`);
  const tables: Record<string, TableShape> = {};
  for (const c of columns.rows) {
    const table = (tables[c.table] ??= { columns: {}, primaryKey: [], indexes: {}, foreignKeys: {} });
    table.columns[c.name] = { type: POSTGRESQL_TYPES[c.type] ?? c.type, notNull: c.notNull };
  }
  for (const i of indexes.rows) {
    const table = tables[i.table]!;
    if (i.primary) table.primaryKey = i.columns;
    else table.indexes[i.name] = { columns: i.columns, unique: i.unique };
  }
  for (const f of foreignKeys.rows) {
    tables[f.table.replace(/^"|"$/g, "")]!.foreignKeys[f.column] = { references: f.references, onDelete: POSTGRESQL_ON_DELETE[f.onDelete] ?? f.onDelete };
  }
  return { tables, triggers: triggers.rows.map((r) => r.name) };
}

const onPostgresql = testDatabaseKind() === "postgresql";
if (!onPostgresql) {
  console.warn("SKIPPED: the PostgreSQL migrations' tables are compared with SQLite's only on PostgreSQL: run npm run test:pg (docs/database.md)");
}

describe.skipIf(!onPostgresql)("on PostgreSQL (npm run test:pg)", () => {
  it("the two migration folders build the same tables, columns, keys, indexes, foreign keys and triggers", async () => {
    const sqlite = sqliteShape((await freshSqliteDatabase()).file);
    const client = new pg.Client({ connectionString: (await freshDatabase()).url });
    await client.connect();
    try {
      const postgresql = await postgresqlShape(client);
      expect(Object.keys(sqlite.tables).length).toBeGreaterThan(5);
      expect(postgresql.tables).toEqual(sqlite.tables);
      expect(postgresql.triggers).toEqual(sqlite.triggers);
      // And Prisma's bookkeeping there says every twin was applied, as a start would read it.
      expect(await postgresqlMigrationsUpToDate(client, migrationsDir("postgresql"))).toBe(true);
    } finally {
      await client.end();
    }
  });
});
