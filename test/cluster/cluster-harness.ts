/**
 * Real cnlab processes sharing one database and one Redis, for the
 * multi-instance tests (`npm run test:cluster`). Redis is REDIS_URL when the
 * environment gives one, else a redis-server started here on a free port with
 * nothing saved; the database is a fresh one as every test gets
 * (test/helpers/test-database.ts): PostgreSQL when the run is on PostgreSQL
 * (CNLAB_TEST_DATABASE, docs/database.md), else one SQLite file the processes share.
 *
 * Without a redis-server binary and without REDIS_URL the tests cannot run:
 * `skipCluster` says so, loudly, and on CI they run and fail instead.
 */
import { onTestFinished } from "vitest";
import { skipWithoutRedis, startRedis as startTestRedis } from "../helpers/redis-server.js";
import { runMain, type MainProcess } from "../helpers/run-main.js";
import { freshDatabase } from "../helpers/test-database.js";

export const INSTRUCTOR = "cnlab_cluster-test-instructor";

/** Outside CI, without redis-server and without REDIS_URL, the tests are skipped (with a line on stderr); in CI they run and fail. */
export const skipCluster = skipWithoutRedis && !process.env["REDIS_URL"];
if (skipCluster) process.stderr.write(`\n${"!".repeat(78)}\n!! multi-instance tests NOT RUN: no redis-server and no REDIS_URL\n${"!".repeat(78)}\n`);

/** A Redis for this test: REDIS_URL, or a redis-server of its own (test/helpers/redis-server.ts) stopped when the test ends. */
export async function startRedis(): Promise<string> {
  const given = process.env["REDIS_URL"];
  if (given) return given;
  const redis = await startTestRedis();
  onTestFinished(() => redis.stop());
  return redis.url;
}

/** The shared database's URL: a fresh, migrated database of the run's kind, removed after the test. */
export async function sharedDatabase(): Promise<string> {
  return (await freshDatabase()).url;
}

export interface Instance {
  id: string;
  url: string;
  process: MainProcess;
}

/**
 * Starts `count` instances named a, b, c … one after the other (the first
 * migrates the database; the others find it migrated), each killed when the
 * test ends.
 */
export async function startCluster(count: number, settings: { redisUrl: string; databaseUrl: string; leaseMs: number }): Promise<Instance[]> {
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const id = String.fromCharCode("a".charCodeAt(0) + i);
    const process = runMain({
      PORT: "0",
      DATABASE_URL: settings.databaseUrl,
      REDIS_URL: settings.redisUrl,
      CNLAB_INSTANCE_ID: id,
      CNLAB_LEASE_MS: String(settings.leaseMs),
      CNLAB_INSTRUCTOR_TOKEN: INSTRUCTOR,
      CNLAB_COMMAND_RATE: "100000",
      CNLAB_SESSION_RATE: "100000",
      LOG_LEVEL: "info",
    });
    instances.push({ id, url: await process.listening, process });
  }
  return instances;
}

export interface Answer<T> {
  status: number;
  body: T;
  /** The instance that ran the request (x-cnlab-instance). */
  instance: string | null;
}

export async function call<T>(baseUrl: string, method: string, url: string, body?: unknown, token = INSTRUCTOR): Promise<Answer<T>> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T, instance: response.headers.get("x-cnlab-instance") };
}
