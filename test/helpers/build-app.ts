/**
 * The one way tests build the app: on a fresh database copy (unless one is
 * given), with the repository's labs (unless a folder is given), logging off
 * (unless a logger is given), and closed when the test finishes. The app's
 * first instructor token is TEST_INSTRUCTOR_TOKEN; rate limits are high
 * unless a test sets them. `sharedTestApp` builds the same app once for a
 * whole describe block. When the run has a Redis (CNLAB_TEST_REDIS=1, as
 * `npm run test:pg` has), each app gets the Redis database of its cnlab
 * database (test-redis.ts) unless the test gives `redisUrl` itself (null:
 * the app runs alone).
 */
import { readdirSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, onTestFinished } from "vitest";
import { buildApp, type App, type AppConfig, type BuildAppOptions } from "../../server/app.js";
import { PROJECT_ROOT } from "../../server/db/prepare-database.js";
import { loadLabs, type LoadedLab } from "../../server/labs/load-labs.js";
import type { CommandOutcome } from "../../server/sessions/session-manager.js";
import { blockDatabase, freshDatabase } from "./test-database.js";
import { testRedisDatabase } from "./test-redis.js";

export const REPO_LABS_DIR = path.join(PROJECT_ROOT, "labs");
/** How many lab files ship in labs/: what a fresh server's catalogue holds. */
export const SHIPPED_LAB_COUNT = readdirSync(REPO_LABS_DIR).filter((f) => f.endsWith(".yaml")).length;
export const TEST_INSTRUCTOR_TOKEN = "cnlab_test-instructor-token-0000";

export interface TestAppOptions extends BuildAppOptions, Partial<Omit<AppConfig, "databaseUrl" | "labsDir" | "logLevel">> {
  databaseUrl?: string;
  labsDir?: string;
}

/**
 * The repository's labs, read and checked once per test worker: nothing
 * writes to labs/ during a run, and parsing the YAML is a good part of
 * building an app. A test of reading a folder gives its own folder.
 */
let repoLabs: Promise<LoadedLab[]> | undefined;

/** The app, and what lets go of its Redis database of the run once it is closed. */
async function createTestApp(databaseUrl: string, options: TestAppOptions): Promise<{ app: App; releaseRedis: () => Promise<void> }> {
  const { databaseUrl: _given, labsDir, logger, ...rest } = options;
  const labs = rest.labs ?? (labsDir === undefined ? await (repoLabs ??= loadLabs(REPO_LABS_DIR)) : undefined);
  const redis = "redisUrl" in options ? null : testRedisDatabase(databaseUrl);
  // What an earlier app of this index left (the indexes come round).
  if (redis?.fresh === true) await redis.empty();
  const app = await buildApp(
    {
      databaseUrl,
      labsDir: labsDir ?? REPO_LABS_DIR,
      logLevel: "silent",
      instructorToken: TEST_INSTRUCTOR_TOKEN,
      commandRate: 100_000,
      sessionRate: 100_000,
      ...(redis === null ? {} : { redisUrl: redis.url }),
      ...rest,
    },
    { ...rest, ...(labs === undefined ? {} : { labs }), logger: logger ?? false },
  );
  return { app, releaseRedis: redis?.release ?? (async () => undefined) };
}

export async function buildTestApp(options: TestAppOptions = {}): Promise<App> {
  const { app, releaseRedis } = await createTestApp(options.databaseUrl ?? (await freshDatabase()).url, options);
  // Closing an app the test already closed is harmless.
  onTestFinished(async () => {
    await app.close();
    await releaseRedis();
  });
  return app;
}

/**
 * One app for all the tests of the enclosing describe block, on its own
 * database copy: built before the first test, closed after the last. Only for
 * tests that each make the tokens, sessions and labs they use and look at
 * nothing else, so that they cannot see one another; building an app
 * (compiling every route's schemas) costs about half a second, which a block
 * of small tests would otherwise pay per test. Call it in the describe body;
 * the function it returns gives the app inside tests and hooks.
 */
export function sharedTestApp(options: Omit<TestAppOptions, "databaseUrl"> = {}): () => App {
  let app: App | undefined;
  let releaseRedis: (() => Promise<void>) | undefined;
  let database: { url: string; remove: () => Promise<void> } | undefined;
  beforeAll(async () => {
    database = await blockDatabase();
    ({ app, releaseRedis } = await createTestApp(database.url, options));
  });
  afterAll(async () => {
    await app?.close();
    await releaseRedis?.();
    await database?.remove();
  });
  return () => {
    if (app === undefined) throw new Error("the shared app is built in beforeAll: use it inside a test or a hook");
    return app;
  };
}

/** The Authorization header for a token. */
export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

export interface TestPrincipal {
  id: string;
  name: string;
  token: string;
}

/** Makes a token through the API, as an instructor would. */
export async function createToken(app: App, name: string, role: "student" | "instructor" = "student"): Promise<TestPrincipal> {
  const response = await app.inject({ method: "POST", url: "/api/tokens", headers: bearer(TEST_INSTRUCTOR_TOKEN), payload: { name, role } });
  if (response.statusCode !== 201) throw new Error(`cannot create token ${name}: ${response.statusCode} ${response.body}`);
  const body = response.json<{ id: string; name: string; token: string }>();
  return { id: body.id, name: body.name, token: body.token };
}

/** Starts a session of `labId` for the holder of `token`; returns its id. */
export async function startSession(app: App, token: string, labId = "bridge-two-containers"): Promise<string> {
  const response = await app.inject({ method: "POST", url: "/api/sessions", headers: bearer(token), payload: { labId } });
  if (response.statusCode !== 201) throw new Error(`cannot start a session: ${response.statusCode} ${response.body}`);
  return response.json<{ id: string }>().id;
}

/** The command route answers with the service's outcome as it is. */
export type CommandAnswer = CommandOutcome;

/** Runs a command through the API and returns its answer (throws unless 200). */
export async function runCommand(app: App, token: string, sessionId: string, host: string, command: string, namespace?: string): Promise<CommandAnswer> {
  const response = await app.inject({
    method: "POST",
    url: `/api/sessions/${sessionId}/commands`,
    headers: bearer(token),
    payload: namespace === undefined ? { host, command } : { host, namespace, command },
  });
  if (response.statusCode !== 200) throw new Error(`command failed: ${response.statusCode} ${response.body}`);
  return response.json<CommandAnswer>();
}
