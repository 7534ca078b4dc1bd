/**
 * The Redis every app of the run uses, when the run asks for one
 * (CNLAB_TEST_REDIS=1, which `npm run test:pg` sets): global-setup.ts starts
 * one redis-server for the whole run (test/helpers/redis-server.ts, with
 * more numbered databases than Redis's default 16), and each app a test
 * builds (build-app.ts) or starts as a process (run-main.ts) gets the Redis
 * database index of its cnlab database (apps on one database share it, as a
 * deployment's instances share one Redis), emptied before the first app and
 * after the last: apps on different databases cannot see one another's
 * leases, limits or secrets, as if each deployment had a Redis to itself. Pub/sub channels are not per database, but
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
  /** Whether no other app of the same database uses it now (empty it before use when you can wait). */
  fresh: boolean;
  /** Empties the database (when needed: what an earlier user of the index left). */
  empty(): Promise<void>;
  /** This app is done with it (closed, or its process ended): the last one to go empties it. */
  release(): Promise<void>;
}

/** The Redis database of each cnlab database in use in this worker, and how many apps use it. */
const inUse = new Map<string, { index: number; users: number }>();

/**
 * A Redis URL of a database of the run's Redis for an app on `databaseUrl`,
 * null when the run has no Redis. Apps on one database share one Redis
 * database, as the instances of one deployment share one Redis: a server
 * killed and started again on its database finds its leases there. Apps on
 * different databases get different ones. Synchronous, so a process can be
 * started with it at once; an index comes round again only after a block's
 * worth of databases of the same worker, long released and emptied by then.
 */
export function testRedisDatabase(databaseUrl: string): TestRedisDatabase | null {
  const server = testRedisServer();
  if (server === null) return null;
  let entry = inUse.get(databaseUrl);
  const fresh = entry === undefined;
  if (entry === undefined) {
    const perWorker = Math.floor((server.databases - 1) / WORKER_BLOCKS);
    const worker = (Number(process.env["VITEST_POOL_ID"] ?? "1") - 1) % WORKER_BLOCKS;
    entry = { index: 1 + worker * perWorker + (handedOut++ % perWorker), users: 0 };
    inUse.set(databaseUrl, entry);
  }
  entry.users++;
  const { index } = entry;
  const url = new URL(server.url);
  url.pathname = `/${index}`;
  const empty = async () => {
    await adminClient(server).eval(EMPTY, 0, String(index));
  };
  let released = false;
  return {
    url: url.toString(),
    fresh,
    empty,
    release: async () => {
      if (released) return;
      released = true;
      if (--entry.users > 0) return;
      inUse.delete(databaseUrl);
      await empty();
    },
  };
}
