/**
 * Bearer-token authentication for the API. Decorates:
 * - `app.accessTokens`: the token store (make, list, revoke, look up);
 * - `app.authenticate(request)`: the caller's Principal, or a 401 HttpError
 *   in the error shape (429 for a throttled address, below); remembered on
 *   `request.principal`;
 * - an onRoute hook that puts authentication in front of every /api route:
 *   `config: { access: "public" }` opts a route out (the lab catalogue's
 *   reads), `config: { access: "instructor" }` also requires that role (403),
 *   `config: { access: "metrics" }` (GET /metrics) takes an instructor's token
 *   or CNLAB_METRICS_TOKEN, a token that opens nothing else, for a scraper.
 *   Other routes outside /api (/health, /docs, /openapi.json) are public.
 *
 * The token comes from `Authorization: Bearer <token>`; a WebSocket upgrade
 * may carry it as `?access_token=` instead, since browsers cannot set headers
 * on one. At start the first instructor token is made sure of (see
 * AccessTokens.bootstrap); a generated one is printed once, as a plain line.
 *
 * Guessing is throttled per client address: after `failuresPerMinute` unknown
 * or revoked tokens from one address (IPv6: one /64), every request from it
 * that needs a token is answered 429 RATE_LIMITED until that minute is over,
 * even with a good token, so a guesser learns nothing from the answers. Only
 * failures are counted (@fastify/rate-limit's limiter, peeked without
 * counting on every request): a class behind one address is not slowed down.
 * Failures that arrive together are all counted, so a burst may get a few
 * past the limit before the first 429.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { normalizeIP } from "@fastify/rate-limit";
import type { FastifyInstance, FastifyRequest, onRequestAsyncHookHandler } from "fastify";
import fp from "fastify-plugin";
import { AccessTokens } from "../auth/access-tokens.js";
import type { Principal } from "../auth/principal.js";
import { HttpError } from "../http/http-error.js";

export type RouteAccess = "public" | "authenticated" | "instructor" | "metrics";

declare module "fastify" {
  interface FastifyInstance {
    accessTokens: AccessTokens;
    authenticate(request: FastifyRequest): Promise<Principal>;
  }
  interface FastifyRequest {
    /** Set once the request has authenticated; null before, and on public routes. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Who may call the route; /api routes default to "authenticated", others to "public". */
    access?: RouteAccess;
  }
}

export interface AuthPluginOptions {
  /** CNLAB_INSTRUCTOR_TOKEN; null: generate one at first start when no instructor token exists. */
  instructorToken: string | null;
  /** Where a generated token is shown; the default writes one line to stdout. */
  announceToken?: (token: string) => void;
  /** CNLAB_AUTH_FAILURES_PER_MINUTE: unknown tokens one address may send per minute before it is refused. */
  failuresPerMinute: number;
  /** CNLAB_METRICS_TOKEN: a token for GET /metrics only; null: instructors' tokens only. */
  metricsToken?: string | null;
}

const FAILURE_WINDOW_MS = 60_000;
/** Sent with every 401, as RFC 6750 asks. */
const CHALLENGE = { "www-authenticate": 'Bearer realm="cnlab"' };

const BEARER = /^Bearer\s+(\S+)\s*$/i;

function announceOnStdout(token: string): void {
  process.stdout.write(
    `cnlab: no instructor token was configured, so one was generated. It is shown only this once; keep it (or set CNLAB_INSTRUCTOR_TOKEN):\n` +
      `cnlab: instructor token: ${token}\n`,
  );
}

export default fp<AuthPluginOptions>(
  async function auth(app, options) {
    const tokens = new AccessTokens(app.prisma);
    const outcome = await tokens.bootstrap(options.instructorToken);
    if (outcome.kind === "generated") {
      app.log.warn("no instructor token was configured: generated one and printed it once on standard output");
      (options.announceToken ?? announceOnStdout)(outcome.token);
    }

    app.decorate("accessTokens", tokens);
    app.decorateRequest("principal", null);

    // Keyed by address alone: the per-token key of the other limits would let a guesser change keys at will.
    const failures = app.createRateLimit({ max: options.failuresPerMinute, timeWindow: FAILURE_WINDOW_MS, keyGenerator: (request) => normalizeIP(request.ip) });

    async function refuseWhileThrottled(request: FastifyRequest): Promise<void> {
      const status = await failures(request, { increment: false });
      if (status.isAllowed || status.remaining > 0) return;
      const retryAfterSeconds = Math.max(1, status.ttlInSeconds);
      throw new HttpError(
        429,
        "RATE_LIMITED",
        `Too many failed authentications from this address: at most ${status.max} per minute; retry in ${retryAfterSeconds} s`,
        { limit: status.max, window: "minute", retryAfterSeconds },
        { "retry-after": String(retryAfterSeconds) },
      );
    }

    async function authenticate(request: FastifyRequest): Promise<Principal> {
      if (request.principal !== null) return request.principal;
      await refuseWhileThrottled(request);
      const token = presentedToken(request);
      if (token === null) {
        throw new HttpError(401, "UNAUTHORIZED", "Authentication required: send the header Authorization: Bearer <token>", undefined, CHALLENGE);
      }
      const principal = await tokens.principalFor(token);
      if (principal === null) {
        await failures(request);
        throw new HttpError(401, "UNAUTHORIZED", "The bearer token is unknown or has been revoked", undefined, CHALLENGE);
      }
      request.principal = principal;
      return principal;
    }
    app.decorate("authenticate", authenticate);

    const hooks = {
      authenticated: guard(app, "authenticated"),
      instructor: guard(app, "instructor"),
      metrics: metricsGuard(app, options.metricsToken ?? null, refuseWhileThrottled),
    } satisfies Record<Exclude<RouteAccess, "public">, onRequestAsyncHookHandler>;
    app.addHook("onRoute", (route) => {
      const access = route.config?.access ?? (route.url.startsWith("/api/") || route.url === "/api" ? "authenticated" : "public");
      if (access === "public") return;
      const hook = hooks[access];
      // OpenAPI: mark the route as needing the bearer scheme (swagger.ts declares it).
      if (route.schema !== undefined) route.schema = { ...route.schema, security: [{ bearer: [] }] } as typeof route.schema;
      // First in the route's own onRequest list, so rate limits and handlers see the principal.
      const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
      route.onRequest = [hook, ...existing];
    });
  },
  { name: "auth", fastify: "5.x", dependencies: ["db", "rate-limits"] },
);

function guard(app: FastifyInstance, access: "authenticated" | "instructor"): onRequestAsyncHookHandler {
  return async function requireAccess(request) {
    const principal = await app.authenticate(request);
    if (access === "instructor" && principal.role !== "instructor") throw new HttpError(403, "FORBIDDEN", "Only an instructor may do this");
  };
}

/**
 * The metrics token, else an instructor's: the scraper's token opens /metrics
 * and nothing else. A throttled address is refused first, whatever it sends,
 * as for any other token; a wrong token counts as a failure (authenticate).
 */
function metricsGuard(app: FastifyInstance, metricsToken: string | null, refuseWhileThrottled: (request: FastifyRequest) => Promise<void>): onRequestAsyncHookHandler {
  const requireInstructor = guard(app, "instructor");
  if (metricsToken === null) return requireInstructor;
  // Compared as digests, in constant time: the length of a guess tells nothing either.
  const expected = sha256(metricsToken);
  return async function requireMetricsAccess(request, reply) {
    await refuseWhileThrottled(request);
    const header = request.headers.authorization;
    const token = header === undefined ? null : (BEARER.exec(header)?.[1] ?? null);
    if (token !== null && timingSafeEqual(sha256(token), expected)) return;
    await requireInstructor.call(this, request, reply);
  };
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function presentedToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (header !== undefined) return BEARER.exec(header)?.[1] ?? null;
  if (request.ws) {
    const query = request.query as Record<string, unknown> | undefined;
    const token = query?.["access_token"];
    if (typeof token === "string" && token !== "") return token;
  }
  return null;
}
