/**
 * Runs once per test run: migrates a template SQLite file with the real
 * migration path (prisma migrate deploy), so each test can copy a migrated
 * database in a millisecond instead of spawning the CLI itself; and builds
 * the server as `npm run build:server` does, into a folder of this run's own
 * (under build/), so the tests that start the real process run what
 * `npm start` runs, built from the sources as they are now.
 */
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { BUILD_DIR, buildServer } from "../../scripts/build-server.js";
import { migrateDatabase } from "../../server/db/prepare-database.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
    /** The built server's main.js, for test/helpers/run-main.ts. */
    serverEntry: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), "cnlab-template-"));
  const file = path.join(dir, "template.db");
  await migrateDatabase(`file:${file}`);
  project.provide("templateDatabase", file);
  // Not build/ itself: a test run must not replace the files a running `npm start` loads.
  await mkdir(BUILD_DIR, { recursive: true });
  const buildDir = await mkdtemp(path.join(BUILD_DIR, "test-"));
  project.provide("serverEntry", await buildServer(buildDir));
  return async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
  };
}
