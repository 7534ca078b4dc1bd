/**
 * A fresh, migrated SQLite file for one test: a copy of the template that
 * global-setup.ts migrated, in a folder removed after the test.
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
  const file = path.join(await tempDir("cnlab-db-"), "cnlab.db");
  await copyFile(inject("templateDatabase"), file);
  return { file, url: `file:${file}` };
}
