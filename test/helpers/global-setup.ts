/**
 * Runs once per test run: migrates a template SQLite file with the real
 * migration path (prisma migrate deploy), so each test can copy a migrated
 * database in a millisecond instead of spawning the CLI itself.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrateDatabase } from "../../server/db/prepare-database.js";

declare module "vitest" {
  export interface ProvidedContext {
    templateDatabase: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(path.join(tmpdir(), "cnlab-template-"));
  const file = path.join(dir, "template.db");
  await migrateDatabase(`file:${file}`);
  project.provide("templateDatabase", file);
  return async () => {
    await rm(dir, { recursive: true, force: true });
  };
}
