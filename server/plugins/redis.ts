/**
 * Decorates `app.redis`: the instance's connection to the Redis that the
 * instances share (REDIS_URL), or null when it runs alone. Rate limits and
 * the throttling of failed sign-ins count in it (plugins/rate-limits.ts), so
 * a limit holds across instances; /health pings it. The cluster's leases and
 * trace fan-out have connections of their own (server/cluster).
 *
 * Commands are not queued while the connection is down: they fail at once,
 * so a request never waits on a Redis that is away (the rate limits then let
 * requests through, and /health answers 503 until it is back). At start the
 * plugin waits a few seconds for the connection, so the first requests count;
 * a Redis that is still away by then does not stop the start.
 */
import { once } from "node:events";
import { setTimeout as sleep } from "node:timers/promises";
import fp from "fastify-plugin";
import type { Redis } from "ioredis";
import { createRedis } from "../cluster/redis-client.js";

declare module "fastify" {
  interface FastifyInstance {
    redis: Redis | null;
  }
}

export interface RedisPluginOptions {
  /** REDIS_URL; null: the instance runs alone. */
  url: string | null;
}

/** How long the start waits for the first connection, ms. */
const CONNECT_WAIT_MS = 5_000;

export default fp<RedisPluginOptions>(
  async function redis(app, options) {
    if (options.url === null) {
      app.decorate("redis", null);
      return;
    }
    const client = createRedis(options.url, "limits", app.log, { enableOfflineQueue: false });
    // Whichever comes first: connected, refused (the factory has logged it), or the wait is over.
    const abort = new AbortController();
    await Promise.race([once(client, "ready", { signal: abort.signal }), once(client, "error", { signal: abort.signal }), sleep(CONNECT_WAIT_MS, undefined, { signal: abort.signal, ref: false })]).catch(() => undefined);
    abort.abort();
    app.decorate("redis", client);
    app.addHook("onClose", async () => {
      // QUIT waits for replies in flight; a connection that is down has nothing to wait for.
      if (client.status === "ready") await client.quit().catch(() => undefined);
      client.disconnect();
    });
  },
  { name: "redis", fastify: "5.x" },
);
