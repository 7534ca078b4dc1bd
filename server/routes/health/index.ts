/**
 * GET /health: each dependency checked (the database with a query, Redis
 * with a PING when REDIS_URL is set), the instance's name and its sessions.
 * 200 when every dependency it needs answers, 503 (error shape) naming the
 * first that does not: a proxy or an orchestrator then sends the instance no
 * more work. Container healthchecks, the load test and the start-up test use
 * it; the checks run side by side and each gives up after a second.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { HttpError } from "../../http/http-error.js";
import { checkDatabase, checkRedis } from "./dependency-checks.js";
import { healthSchema } from "./schema.js";

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/health", { schema: healthSchema }, async (request) => {
    const redis = app.redis;
    const [database, redisCheck] = await Promise.all([checkDatabase(app.database), redis === null ? null : checkRedis(redis)]);
    if (!database.ok) {
      request.log.error({ err: database.error }, "health check: database query failed");
      throw new HttpError(503, "DATABASE_UNAVAILABLE", "The database is not answering");
    }
    if (redisCheck !== null && !redisCheck.ok) {
      request.log.error({ err: redisCheck.error }, "health check: redis did not answer PING");
      throw new HttpError(503, "REDIS_UNAVAILABLE", "Redis is not answering");
    }
    return {
      status: "ok" as const,
      database: "ok" as const,
      labs: database.value,
      instance: app.cluster.instanceId,
      sessions: { live: app.sessionManager.liveCount, owned: app.cluster.ownedSessions() },
      dependencies: {
        database: { status: "ok" as const, kind: app.database.kind, latencyMs: database.latencyMs },
        redis: redisCheck === null ? { status: "not configured" as const } : { status: "ok" as const, latencyMs: redisCheck.latencyMs },
      },
    };
  });
};

export default healthRoutes;
