/**
 * Runs once per test run: migrates a template SQLite file with the real
 * migration path (prisma migrate deploy), so each test can copy a migrated
 * database in a millisecond instead of spawning the CLI itself; under
 * `npm run test:pg` (CNLAB_TEST_DATABASE=postgresql://…) migrates a template
 * PostgreSQL database the same way, which each test copies with CREATE
 * DATABASE … TEMPLATE (postgresql-test-server.ts); with CNLAB_TEST_REDIS=1
 * (which `npm run test:pg` sets), starts the redis-server every app of the
 * run gets a database of (test-redis.ts); and builds
 * the server as `npm run build:server` does, into a folder of this run's own
 * (under build/), so the tests that start the real process run what
 * `npm start` runs, built from the sources as they are now.
 */
import { mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { BUILD_DIR, buildServer } from "../../scripts/build-server.js";
import { migrateDatabase } from "../../server/db/prepare-database.js";
import { preparePostgresqlTestServer } from "./postgresql-test-server.js";
import { startRedis } from "./redis-server.js";
import type { PostgresqlTestServer } from "./test-database.js";
import { TEST_REDIS_DATABASES, type TestRedisServer } from "./test-redis.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
    /** The PostgreSQL server of `npm run test:pg`; null when the suite runs on SQLite. */
    postgresqlTestServer: PostgresqlTestServer | null;
    /** The run's Redis (CNLAB_TEST_REDIS=1); null: every app runs alone. */
    testRedis: TestRedisServer | null;
    /** The built server's main.js, for test/helpers/run-main.ts. */
    serverEntry: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), "cnlab-template-"));
  const file = path.join(dir, "template.db");
  await migrateDatabase(`file:${file}`);
  project.provide("templateDatabase", file);
  // Before the build: a PostgreSQL server that cannot be reached stops the run at once, saying so.
  const postgresql = await preparePostgresqlTestServer(process.env["CNLAB_TEST_DATABASE"]);
  project.provide("postgresqlTestServer", postgresql?.server ?? null);
  // Not build/ itself: a test run must not replace the files a running `npm start` loads.
  await mkdir(BUILD_DIR, { recursive: true });
  await removeStaleBuilds();
  const buildDir = await mkdtemp(path.join(BUILD_DIR, "test-"));
  project.provide("serverEntry", await buildServer(buildDir));
  // Last: a step above that fails leaves no redis-server behind.
  const redis = await startTestRedis(process.env["CNLAB_TEST_REDIS"]);
  project.provide("testRedis", redis === null ? null : { url: redis.url, databases: TEST_REDIS_DATABASES });
  return async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
    await postgresql?.remove();
    await redis?.stop();
  };
}

/** CNLAB_TEST_REDIS=1: a redis-server for the run; a run that asks for one and cannot have it fails, saying why. */
async function startTestRedis(setting: string | undefined): Promise<{ url: string; stop: () => Promise<void> } | null> {
  const wanted = (setting ?? "").trim();
  if (wanted === "" || wanted === "0") return null;
  if (wanted !== "1") throw new Error(`CNLAB_TEST_REDIS must be 1 (start a redis-server for the run) or 0 / unset (no Redis), not ${JSON.stringify(wanted)}`);
  try {
    return await startRedis({ databases: TEST_REDIS_DATABASES });
  } catch (err) {
    throw new Error(`CNLAB_TEST_REDIS=1: ${(err as Error).message}. The run with Redis is not skipped: nothing was tested.`);
  }
}

/** A run stopped before its teardown leaves its build behind; one a day old belongs to no running test. */
async function removeStaleBuilds(): Promise<void> {
  const dayAgo = Date.now() - 24 * 60 * 60 * 1000;
  for (const entry of await readdir(BUILD_DIR, { withFileTypes: true })) {
    if (!entry.isDirectory() || !entry.name.startsWith("test-")) continue;
    const dir = path.join(BUILD_DIR, entry.name);
    if ((await stat(dir)).mtimeMs < dayAgo) await rm(dir, { recursive: true, force: true });
  }
}
