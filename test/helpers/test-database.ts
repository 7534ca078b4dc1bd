/**
 * A fresh, migrated SQLite file for one test: a copy of the template that
 * global-setup.ts migrated, in a folder removed after the test (or, for an
 * app shared by several tests, wherever the caller puts it).
 */
import { copyFile } from "node:fs/promises";
import path from "node:path";
import { inject } from "vitest";
import { tempDir } from "./temp-dir.js";

export interface TestDatabase {
  file: string;
  url: string;
}

export async function freshDatabase(): Promise<TestDatabase> {
  return templateCopy(await tempDir("cnlab-db-"));
}

/** A copy of the migrated template in `dir`, which the caller removes. */
export async function templateCopy(dir: string): Promise<TestDatabase> {
  const file = path.join(dir, "cnlab.db");
  await copyFile(inject("templateDatabase"), file);
  return { file, url: `file:${file}` };
}
