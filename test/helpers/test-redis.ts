/**
 * The Redis every app of the run uses, when the run asks for one
 * (CNLAB_TEST_REDIS=1, which `npm run test:pg` sets): global-setup.ts starts
 * one redis-server for the whole run (test/helpers/redis-server.ts, with
 * more numbered databases than Redis's default 16), and each app a test
 * builds (build-app.ts) or starts as a process (run-main.ts) gets a database
 * index of its own, emptied before the app starts and after the test: the
 * apps of a run cannot see one another's leases, limits or secrets, as if
 * each had a Redis to itself. Pub/sub channels are not per database, but
 * every channel cnlab uses is named by a session id (a random UUID) or
 * carries the sender's instance id, so apps do not hear one another.
 *
 * Without CNLAB_TEST_REDIS the apps run alone (no REDIS_URL), as `npm test`
 * always has. A test that gives its own `redisUrl` (or REDIS_URL) keeps it,
 * and one that gives `redisUrl: null` tests an instance alone.
 */
import { Redis } from "ioredis";
import { inject } from "vitest";

/** What global-setup.ts provides: the run's Redis (database 0 holds the counter below), or null. */
export interface TestRedisServer {
  url: string;
  /** Numbered databases the server has: 1 … databases - 1 are handed out. */
  databases: number;
}

/** The redis-server of a run gets this many databases: more than a test file ever has apps at once. */
export const TEST_REDIS_DATABASES = 1024;

/** Each test worker (VITEST_POOL_ID 1, 2 …) hands out indexes from a block of its own, so workers never share one. */
const WORKER_BLOCKS = 8;

const EMPTY = `redis.call('SELECT', ARGV[1])
redis.call('FLUSHDB')
return 1`;

let admin: Redis | undefined;
let handedOut = 0;

function adminClient(server: TestRedisServer): Redis {
  admin ??= new Redis(server.url, { maxRetriesPerRequest: 2 });
  return admin;
}

/** The run's Redis server, or null when the apps run alone. */
export function testRedisServer(): TestRedisServer | null {
  return inject("testRedis");
}

export interface TestRedisDatabase {
  url: string;
  /** Empties the database: after the app that used it is closed (and before, when it is reused). */
  empty(): Promise<void>;
}

/**
 * A Redis URL of a database of the run's Redis for one app, with a way to
 * empty it; null when the run has no Redis. Synchronous, so a process can be
 * started with it at once; an index comes round again only after a block's
 * worth of apps of the same worker, long closed and emptied by then.
 */
export function testRedisDatabase(): TestRedisDatabase | null {
  const server = testRedisServer();
  if (server === null) return null;
  const perWorker = Math.floor((server.databases - 1) / WORKER_BLOCKS);
  const worker = (Number(process.env["VITEST_POOL_ID"] ?? "1") - 1) % WORKER_BLOCKS;
  const index = 1 + worker * perWorker + (handedOut++ % perWorker);
  const url = new URL(server.url);
  url.pathname = `/${index}`;
  return {
    url: url.toString(),
    empty: async () => {
      await adminClient(server).eval(EMPTY, 0, String(index));
    },
  };
}
