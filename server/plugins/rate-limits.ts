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
 */
import rateLimit, { type RateLimitOptions } from "@fastify/rate-limit";
import fp from "fastify-plugin";
import { HttpError } from "../http/http-error.js";
import { SnapshotRateLimitStore } from "../http/rate-limit-store.js";

const WINDOWS = { second: 1_000, minute: 60_000 } as const;

/** A route's rate limit: at most `max` requests per `per` for one token. */
export function perToken(max: number, per: keyof typeof WINDOWS, what: string): RateLimitOptions {
  return {
    max,
    timeWindow: WINDOWS[per],
    errorResponseBuilder: (_request, context) => {
      const retryAfterSeconds = Math.max(1, Math.ceil(context.ttl / 1000));
      return new HttpError(429, "RATE_LIMITED", `Too many ${what}: at most ${max} per ${per} for one token; retry in ${retryAfterSeconds} s`, {
        limit: max,
        window: per,
        retryAfterSeconds,
      });
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
  },
  { name: "rate-limits", fastify: "5.x", dependencies: ["redis"] },
);
