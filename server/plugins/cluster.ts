/**
 * Several cnlab instances on one database and one Redis (REDIS_URL): session
 * leases (cluster/session-leases.ts), requests forwarded to the instance that
 * runs a session, and the trace fan-out (cluster/trace-fan-out.ts). The design
 * and its reasons are in docs/scale-out.md.
 *
 * Decorates `app.cluster` (instance id, sessions held, lease renewals, Redis
 * status) for /health and /metrics, with or without Redis. Without REDIS_URL
 * nothing else changes: the instance runs every session itself, as always.
 *
 * A route about one session whose simulator must run where its lease is says
 * `config: { sessionOwner: true }`; its request then goes through the owner
 * gate (cluster/owner-gate.ts). Registered after the sessions plugin and
 * before the routes.
 */
import { randomBytes, timingSafeEqual } from "node:crypto";
import { hostname } from "node:os";
import type { FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { defaultInstanceId } from "../cluster/instance-id.js";
import { FORWARDED_HEADER, INSTANCE_HEADER } from "../cluster/forward-request.js";
import { leaseUnavailable, ownerGate } from "../cluster/owner-gate.js";
import { createRedis } from "../cluster/redis-client.js";
import { SessionLeases } from "../cluster/session-leases.js";
import { TraceFanOut } from "../cluster/trace-fan-out.js";

/** What /health and /metrics read of this instance's place among the others. Names are stable. */
export interface ClusterView {
  readonly instanceId: string;
  /** Sessions this instance runs: held leases with Redis, engines in memory without. */
  ownedSessions(): number;
  /** Lease extensions so far (0 without Redis). */
  readonly leaseRenewals: number;
  /** "disabled" without REDIS_URL; otherwise ioredis's status ("ready", "connecting", "reconnecting", "end" …). */
  redisStatus(): string;
  /** Whether the request was forwarded by another instance of this cluster (it carries the cluster's secret). */
  isForwarded(request: FastifyRequest): boolean;
  /** Trace events read from the store for streams here, made on other instances. */
  readonly eventsRelayed: number;
}

declare module "fastify" {
  interface FastifyInstance {
    cluster: ClusterView;
  }
  interface FastifyContextConfig {
    /** The route's session (`:id`) must be served by the instance that holds it. */
    sessionOwner?: boolean;
  }
}

export interface ClusterPluginOptions {
  redisUrl: string | null;
  instanceId: string | null;
  advertiseUrl: string | null;
  leaseMs: number;
  /** How long a forwarded request may take before the owner counts as failed, ms. */
  forwardTimeoutMs: number;
}

const SECRET_KEY = "cnlab:cluster-secret";
/** Orphaned sessions one sweep takes over at most (the others wait for the next sweep, or for their next request). */
const ADOPT_PER_SWEEP = 8;

export default fp<ClusterPluginOptions>(
  async function cluster(app, options) {
    const instanceId = options.instanceId ?? defaultInstanceId();
    const manager = app.sessionManager;

    if (options.redisUrl === null) {
      app.decorate<ClusterView>("cluster", {
        instanceId,
        ownedSessions: () => manager.liveCount,
        leaseRenewals: 0,
        redisStatus: () => "disabled",
        isForwarded: () => false,
        eventsRelayed: 0,
      });
      return;
    }

    const ttl = options.leaseMs;
    const redis = createRedis(options.redisUrl, `${instanceId}:leases`, app.log);
    const subscriber = createRedis(options.redisUrl, `${instanceId}:trace`, app.log);
    let secret: string;
    try {
      await redis.set(SECRET_KEY, randomBytes(24).toString("base64url"), "NX");
      secret = (await redis.get(SECRET_KEY))!;
    } catch (err) {
      redis.disconnect();
      subscriber.disconnect();
      throw new Error(`cannot reach Redis at REDIS_URL: ${(err as Error).message}`);
    }
    const forwardedBy = `${instanceId} ${secret}`;
    const expectedSecret = Buffer.from(secret);
    const isForwarded = (request: FastifyRequest): boolean => {
      const value = request.headers[FORWARDED_HEADER];
      if (typeof value !== "string") return false;
      const given = Buffer.from(value.slice(value.indexOf(" ") + 1));
      return given.length === expectedSecret.length && timingSafeEqual(given, expectedSecret);
    };

    let advertised = options.advertiseUrl ?? "";
    const leases = new SessionLeases(redis, {
      instanceId,
      url: () => advertised,
      ttlMs: ttl,
      onLost: (id) => {
        app.log.warn({ sessionId: id }, "lost a session's lease: its engine here is dropped");
        manager.drop(id);
      },
      log: app.log,
    });
    const fanOut = new TraceFanOut(redis, subscriber, instanceId, manager, app.log);
    await fanOut.start();

    manager.useOwnership({
      shared: true,
      holds: (id) => leases.holds(id),
      // Redis away (or just back): 503 REDIS_UNAVAILABLE in the error shape, also for a session being started.
      claim: async (id, fresh) => (await leases.claim(id, fresh).catch((err: unknown) => Promise.reject(leaseUnavailable(err)))).instanceId === instanceId,
      released: (id) => leases.release(id),
      committed: (id, events) => fanOut.committed(id, events.from, events.to),
      deleted: (id) => fanOut.changed(id, "deleted"),
      invalidated: (id) => fanOut.changed(id, "invalidated"),
      watch: (id) => fanOut.watch(id),
      unwatch: (id) => fanOut.unwatch(id),
    });

    app.decorate<ClusterView>("cluster", {
      instanceId,
      ownedSessions: () => leases.heldCount,
      get leaseRenewals() {
        return leases.renewals;
      },
      redisStatus: () => redis.status,
      isForwarded,
      get eventsRelayed() {
        return fanOut.eventsRelayed;
      },
    });

    const gate = ownerGate({
      instanceId,
      leases,
      ttlMs: ttl,
      forwardTimeoutMs: options.forwardTimeoutMs,
      forwardedBy,
      isForwarded,
      // Only a caller who may use the session makes an instance take it.
      authorize: async (request, id) => {
        await app.sessions.authorize(request.principal ?? (await app.authenticate(request)), id);
      },
    });

    app.addHook("onRoute", (route) => {
      if (route.config?.sessionOwner !== true) return;
      const existing = route.preHandler;
      route.preHandler = existing === undefined ? [gate] : [gate, ...(Array.isArray(existing) ? existing : [existing])];
    });

    app.addHook("onSend", async (_request, reply) => {
      if (!reply.hasHeader(INSTANCE_HEADER)) reply.header(INSTANCE_HEADER, instanceId);
    });

    // Takes over sessions whose instance died (their leases ran out unreleased), and lets go of
    // leases held without an engine (a request that claimed the session and then failed before building it).
    const sweep = async () => {
      const now = Date.now();
      for (const id of leases.heldIds()) {
        if (!manager.isLive(id) && now - (leases.heldSince(id) ?? now) > 2 * ttl) leases.release(id);
      }
      // Redis came back moments ago: a lease that looks free may be one it lost, not yet set again by its holder.
      if (leases.recovering) return;
      for (const id of await leases.orphans(ADOPT_PER_SWEEP)) {
        const holder = await leases.claim(id);
        if (holder.instanceId !== instanceId) continue;
        app.log.info({ sessionId: id }, "taking over a session whose instance stopped: rebuilding it from its log");
        await manager.adopt(id).catch((err: unknown) => {
          app.log.warn({ sessionId: id, err: (err as Error).message }, "could not take over a session");
          leases.release(id);
        });
      }
    };
    let sweepTimer: NodeJS.Timeout | null = null;
    const scheduleSweep = () => {
      // Jittered, so the survivors of a crash do not all reach for the same sessions at once.
      sweepTimer = setTimeout(
        () => {
          sweep()
            .catch((err: unknown) => app.log.warn({ err: (err as Error).message }, "session sweep failed"))
            .finally(() => {
              if (sweepTimer !== null) scheduleSweep();
            });
        },
        Math.floor(ttl / 2 + Math.random() * (ttl / 4)),
      );
      sweepTimer.unref();
    };

    app.addHook("onListen", async function () {
      if (advertised === "") {
        const address = app.server.address();
        if (address !== null && typeof address === "object") {
          const host = address.address === "0.0.0.0" || address.address === "::" ? hostname() : address.family === "IPv6" ? `[${address.address}]` : address.address;
          advertised = `http://${host}:${address.port}`;
        }
      }
      leases.start();
      scheduleSweep();
      app.log.info({ instanceId, advertised, leaseMs: ttl }, "cluster: sharing sessions through Redis");
    });

    // Runs before the sessions plugin's own hook (hooks close in reverse order): the sessions end
    // (rows written, engines let go) before their leases are given back and Redis is left.
    app.addHook("onClose", async () => {
      if (sweepTimer !== null) clearTimeout(sweepTimer);
      sweepTimer = null;
      await manager.close();
      await leases.close();
      await Promise.allSettled([redis.quit(), subscriber.quit()]);
    });
  },
  { name: "cluster", fastify: "5.x", dependencies: ["sessions"] },
);
