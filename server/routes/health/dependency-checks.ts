/**
 * The cheap checks behind GET /health, one per dependency: a query the
 * database must answer, a PING to Redis. Each gives how long it took or why
 * it failed; neither waits long: /health is polled every few seconds by
 * container health checks and load balancers, and must answer even when a
 * dependency hangs.
 */
import { performance } from "node:perf_hooks";
import type { Redis } from "ioredis";
import type { Statement } from "better-sqlite3";
import type { DatabaseDriver, SqliteConnection } from "../../db/prisma-client.js";

export type CheckOutcome<T = undefined> = { ok: true; latencyMs: number; value: T } | { ok: false; error: Error };

/** Past this, a dependency counts as down for this check. */
export const CHECK_TIMEOUT_MS = 1_000;

/** Milliseconds with two decimals: enough to tell a local answer from a remote one. */
function elapsedSince(start: number): number {
  return Math.round((performance.now() - start) * 100) / 100;
}

async function timed<T>(what: string, run: () => Promise<T>): Promise<CheckOutcome<T>> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  try {
    const value = await Promise.race([run(), timeout]);
    return { ok: true, latencyMs: elapsedSince(start), value };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err : new Error(String(err)) };
  } finally {
    clearTimeout(timer);
  }
}

const LAB_COUNT = `SELECT count(*) AS "n" FROM "Lab"`;
const sqliteCounts = new WeakMap<SqliteConnection, Statement<[], { n: number }>>();

/**
 * Counts the labs: a real query on a real table, which also answers what the
 * catalogue holds. It goes to the driver, not through Prisma: Prisma compiles
 * every query on this thread first (a millisecond or two on a busy server),
 * and /health is polled by every balancer and health check.
 */
export function checkDatabase(driver: DatabaseDriver): Promise<CheckOutcome<number>> {
  switch (driver.kind) {
    case "sqlite":
      return timed("the database", async () => {
        let count = sqliteCounts.get(driver.connection);
        if (count === undefined) sqliteCounts.set(driver.connection, (count = driver.connection.prepare<[], { n: number }>(LAB_COUNT).safeIntegers(false)));
        return count.get()!.n;
      });
    case "postgresql":
      return timed("the database", async () => Number((await driver.pool.query<{ n: string }>(LAB_COUNT)).rows[0]!.n));
    default:
      return driver satisfies never;
  }
}

/** PING on the instance's connection; a connection that is down fails at once (no offline queue, plugins/redis.ts). */
export function checkRedis(redis: Redis): Promise<CheckOutcome> {
  return timed("redis", async () => {
    const answer = await redis.ping();
    if (answer !== "PONG") throw new Error(`redis answered PING with ${answer}`);
    return undefined;
  });
}
