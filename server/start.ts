/**
 * Everything a start does besides reading the configuration and handling
 * signals: read the lab files, create and migrate the database, build the
 * app (which syncs the labs) and listen. main.ts calls it once; the restart
 * test calls it several times on one database.
 */
import { buildApp, type App, type BuildAppOptions } from "./app.js";
import type { Config } from "./config.js";
import { prepareDatabase } from "./db/prepare-database.js";
import { loadLabs } from "./labs/load-labs.js";

export async function startServer(config: Config, options: BuildAppOptions = {}): Promise<App> {
  // Lab files first: a bad one stops the start before anything is created or migrated.
  const labs = await loadLabs(config.labsDir);
  await prepareDatabase(config.databaseUrl);
  const app = await buildApp(config, { labs, ...options });
  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    await app.close();
    throw err;
  }
  return app;
}
