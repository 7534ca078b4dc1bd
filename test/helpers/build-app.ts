/**
 * The one way tests build the app: on a fresh database copy (unless one is
 * given), with the repository's labs (unless a folder is given), logging off
 * (unless a logger is given), and closed when the test finishes.
 */
import path from "node:path";
import { onTestFinished } from "vitest";
import { buildApp, type App, type BuildAppOptions } from "../../server/app.js";
import { PROJECT_ROOT } from "../../server/db/prepare-database.js";
import { freshDatabase } from "./test-database.js";

export const REPO_LABS_DIR = path.join(PROJECT_ROOT, "labs");

export interface TestAppOptions extends BuildAppOptions {
  databaseUrl?: string;
  labsDir?: string;
}

export async function buildTestApp(options: TestAppOptions = {}): Promise<App> {
  const databaseUrl = options.databaseUrl ?? (await freshDatabase()).url;
  const app = await buildApp(
    { databaseUrl, labsDir: options.labsDir ?? REPO_LABS_DIR, logLevel: "silent" },
    { logger: options.logger ?? false },
  );
  // Closing an app the test already closed is harmless.
  onTestFinished(async () => {
    await app.close();
  });
  return app;
}
