/**
 * Gets a database ready to serve. A SQLite file: creates its folder, then,
 * unless it has every committed migration already, brings it up to those in
 * prisma/migrations. A PostgreSQL database: the same with
 * prisma/postgresql/migrations, while holding an advisory lock, so instances
 * started together migrate it once. Either way by running `prisma migrate
 * deploy` in a child process, the same command an operator would type, so
 * there is one migration path for the server, the tests and by-hand use.
 *
 * It does not decide which database: the caller passes it (start.ts from the
 * config, the test setup for its template database).
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { databaseLocation, type DatabaseKind } from "./database-url.js";
import { migrationsUpToDate, postgresqlMigrationsUpToDate } from "./migrations-up-to-date.js";
import { POSTGRESQL_MIGRATIONS, SQLITE_MIGRATIONS } from "./postgresql-schema.js";

/**
 * The repository root: prisma.config.ts and prisma/ live there, whatever the caller's cwd.
 * Found by walking up to package.json, since this code runs from server/db/ (tsx) or from a
 * chunk in build/ (npm start), at different depths.
 */
export const PROJECT_ROOT = findProjectRoot(path.dirname(fileURLToPath(import.meta.url)));

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

/** The database cannot be made ready; the message is one line, fit for the operator. */
export class DatabaseSetupError extends Error {
  override readonly name = "DatabaseSetupError";
}

/** The committed migrations for a kind of database. */
export function migrationsDir(kind: DatabaseKind): string {
  return path.join(PROJECT_ROOT, kind === "sqlite" ? SQLITE_MIGRATIONS : POSTGRESQL_MIGRATIONS);
}

/** Any number, the same in every instance: the advisory lock migrations take on PostgreSQL. */
const MIGRATION_LOCK = 0x636e6c6162;

/** Makes the database `databaseUrl` (as the configuration checked it) ready: folder, connection, migrations. */
export async function prepareDatabase(databaseUrl: string): Promise<void> {
  const location = databaseLocation(databaseUrl);
  switch (location.kind) {
    case "sqlite":
      return prepareSqlite(location.file);
    case "postgresql":
      return preparePostgresql(location.url);
    default:
      return location satisfies never;
  }
}

/** Creates the SQLite file's folder (SQLite creates the file, not its folder) and migrates it. */
async function prepareSqlite(databaseFile: string): Promise<void> {
  const folder = path.dirname(databaseFile);
  try {
    mkdirSync(folder, { recursive: true });
  } catch (err) {
    throw new DatabaseSetupError(`cannot create the database folder ${folder}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  // The usual start, on a database already migrated, need not pay for starting the Prisma CLI (seconds of CPU).
  if (migrationsUpToDate(databaseFile, migrationsDir("sqlite"))) return;
  await migrateDatabase(`file:${databaseFile}`);
}

async function preparePostgresql(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    throw new DatabaseSetupError(`cannot connect to PostgreSQL at ${describePostgresql(url)}: ${(err as Error).message}`);
  }
  try {
    // Session-level lock: held until released or the connection ends (a killed process releases it too).
    await client.query("SELECT pg_advisory_lock($1)", [MIGRATION_LOCK]);
    if (!(await postgresqlMigrationsUpToDate(client, migrationsDir("postgresql")))) await migrateDatabase(url);
  } finally {
    await client.end();
  }
}

/** host:port/database, without the credentials, for messages. */
export function describePostgresql(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.hostname}:${parsed.port || "5432"}${parsed.pathname}`;
  } catch {
    return "an unreadable URL";
  }
}

/** Runs `prisma migrate deploy` against `databaseUrl` (file:<absolute path> or postgresql://…; prisma.config.ts picks the schema and migrations). */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const cli = prismaCliPath();
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, [cli, "migrate", "deploy"], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl, PRISMA_HIDE_UPDATE_MESSAGE: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.on("error", reject);
    child.on("close", resolve);
  });
  if (code !== 0) {
    // The CLI's last lines name the failing migration or the SQLite error.
    const tail = output.join("").trim().split("\n").slice(-5).join(" | ");
    throw new DatabaseSetupError(`prisma migrate deploy exited with ${code}: ${tail}`);
  }
}

/** The CLI's entry point, found through its package.json `bin` so it does not depend on npx or PATH. */
function prismaCliPath(): string {
  const require = createRequire(path.join(PROJECT_ROOT, "package.json"));
  const manifestPath = require.resolve("prisma/package.json");
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8")) as { bin: string | Record<string, string> };
  const bin = typeof manifest.bin === "string" ? manifest.bin : manifest.bin["prisma"];
  if (bin === undefined) throw new DatabaseSetupError("the prisma package declares no `prisma` binary");
  return path.join(path.dirname(manifestPath), bin);
}
