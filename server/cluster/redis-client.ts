/**
 * One way to open a Redis connection, for every part of cnlab that shares
 * state across instances (session leases, trace fan-out, rate limits, auth
 * throttling). Each caller gets its own client with a name that shows in
 * `CLIENT LIST`, so an operator can tell the connections apart.
 *
 * It does not decide what happens when Redis is down: callers see rejected
 * commands (after `maxRetriesPerRequest` tries) and choose. A connection error
 * is logged, never thrown: an ioredis client without an `error` listener would
 * crash the process on the first refused connection.
 */
import { Redis, type RedisOptions } from "ioredis";

/** What the factory needs of a logger: pino's and Fastify's fit. */
export interface RedisLog {
  warn(object: Record<string, unknown>, message: string): void;
  info(object: Record<string, unknown>, message: string): void;
}

/** Commands fail after this many reconnection attempts instead of waiting forever for a Redis that is away. */
const MAX_RETRIES_PER_REQUEST = 2;
/** Reconnection delay grows with each attempt up to this, ms. */
const MAX_RECONNECT_DELAY_MS = 2_000;

const silentLog: RedisLog = { warn: () => undefined, info: () => undefined };

/**
 * A connected (connecting) ioredis client for `url` (redis:// or rediss://).
 * `connectionName` is shown by `CLIENT LIST` as `cnlab:<connectionName>`.
 */
export function createRedis(url: string, connectionName: string, log: RedisLog = silentLog, overrides: RedisOptions = {}): Redis {
  const client = new Redis(url, {
    connectionName: `cnlab:${connectionName}`,
    lazyConnect: false,
    maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
    // Queue commands while (re)connecting, so a request in the first milliseconds after start does not fail.
    enableOfflineQueue: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
    // A failover of Redis itself (a replica promoted) answers READONLY: reconnect to find the new primary.
    reconnectOnError: (err) => err.message.startsWith("READONLY"),
    ...overrides,
  });
  // ioredis emits `error` on every failed reconnection attempt: log the first
  // of a run and the recovery, not one line every 200 ms.
  let failing = false;
  client.on("error", (err: Error) => {
    if (failing) return;
    failing = true;
    log.warn({ err: err.message, connection: connectionName }, "redis connection failed; retrying");
  });
  client.on("ready", () => {
    if (!failing) return;
    failing = false;
    log.info({ connection: connectionName }, "redis connection restored");
  });
  return client;
}
