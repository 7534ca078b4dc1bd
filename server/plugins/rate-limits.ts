/**
 * Per-token rate limits (@fastify/rate-limit), off by default: a route opts
 * in with `config: { rateLimit: perToken(max, "second" | "minute", what) }`.
 * Buckets are keyed by the caller's token (the auth hook runs first on every
 * protected route), so students behind one address do not share a limit.
 * Over the limit: 429 RATE_LIMITED in the error shape, with Retry-After and
 * `details.retryAfterSeconds`. The auth plugin counts failed
 * authentications per address with the same plugin's `app.createRateLimit`,
 * so it is registered before auth.
 *
 * Where counts are kept: alone, in this process's memory
 * (http/rate-limit-store.ts); with REDIS_URL, in Redis (the plugin's own
 * Redis store: one atomic script per count, keys under `cnlab:rate:`), so
 * several instances behind one proxy share each limit. While Redis does not
 * answer, requests are let through rather than refused (`skipOnError`): a
 * lab goes on, and /health says Redis is down. A request that another
 * instance forwarded to the session's owner (plugins/cluster.ts) was counted
 * where it arrived, and is not counted again.
 *
 * A client that ignores Retry-After and keeps asking is answered slowly: once
 * a token has been refused as many times again as its limit allows in one
 * window, each further refusal waits SLOWED_REFUSAL_MS before it goes out
 * (the plugin's `ban` count marks that point). A refusal is cheap, but not
 * free: a script looping on a refused route was answered ~1,700 times a
 * second under the load test, a third of a core spent on parsing, checking and
 * writing 429s while the rest of the class waited. Held for a second, the
 * same loop costs a request a second per connection.
 */
import rateLimit, { type RateLimitOptions } from "@fastify/rate-limit";
import { setTimeout as sleep } from "node:timers/promises";
import fp from "fastify-plugin";
import { HttpError } from "../http/http-error.js";
import { SnapshotRateLimitStore } from "../http/rate-limit-store.js";

const WINDOWS = { second: 1_000, minute: 60_000 } as const;

/** How long a refusal waits, once its token has been refused `max` times in the window already. */
export const SLOWED_REFUSAL_MS = 1_000;
/** The refusals to hold back (the error objects the rate limiter throws). */
const slowedRefusals = new WeakSet<object>();

/** A route's rate limit: at most `max` requests per `per` for one token. */
export function perToken(max: number, per: keyof typeof WINDOWS, what: string): RateLimitOptions {
  return {
    max,
    timeWindow: WINDOWS[per],
    // Past `max` refusals in the window, the plugin's context says "ban": our answer stays a 429, only slower.
    ban: max,
    errorResponseBuilder: (_request, context) => {
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      const slowed = context.ban;
      const error = new HttpError(
        429,
        "RATE_LIMITED",
        `Too many ${what}: at most ${max} per ${per} for one token; retry in ${retryAfterSeconds} s` +
          (slowed ? `; refusals are answered after ${SLOWED_REFUSAL_MS / 1000} s while requests keep coming before then` : ""),
        { limit: max, window: per, retryAfterSeconds, ...(slowed ? { slowedMs: SLOWED_REFUSAL_MS } : {}) },
      );
      if (slowed) slowedRefusals.add(error);
      return error;
    },
  };
}

/** Redis keys of the limits start with this. */
export const RATE_LIMIT_KEY_PREFIX = "cnlab:rate:";

export default fp(
  async function rateLimits(app) {
    await app.register(rateLimit, {
      global: false,
      ...(app.redis === null ? { store: SnapshotRateLimitStore } : { redis: app.redis, nameSpace: RATE_LIMIT_KEY_PREFIX, skipOnError: true }),
      // The x-ratelimit-* headers go on refusals only: on every answer they cost the
      // command path more than the count itself.
      addHeadersOnExceeding: { "x-ratelimit-limit": false, "x-ratelimit-remaining": false, "x-ratelimit-reset": false },
      // The cluster plugin comes later in the boot; by the first request it is there.
      allowList: (request) => app.cluster.isForwarded(request),
      keyGenerator: (request) => (request.principal === null ? `ip:${request.ip}` : `token:${request.principal.id}`),
    });
    // Runs before the error handler writes the 429 (Fastify's onError hooks come first).
    app.addHook("onError", async (_request, _reply, error) => {
      if (slowedRefusals.has(error)) await sleep(SLOWED_REFUSAL_MS, undefined, { ref: false });
    });
  },
  { name: "rate-limits", fastify: "5.x", dependencies: ["redis"] },
);
