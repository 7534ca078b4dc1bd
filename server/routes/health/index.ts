/**
 * GET /health: 200 when the database answers a query, 503 (error shape) when
 * it does not. Container healthchecks and the start-up test use it.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { HttpError } from "../../http/http-error.js";
import { countLabs } from "../../labs/lab-repository.js";
import { healthSchema } from "./schema.js";

const healthRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/health", { schema: healthSchema }, async (request) => {
    let labs: number;
    try {
      labs = await countLabs(app.prisma);
    } catch (err) {
      request.log.error({ err }, "health check: database query failed");
      throw new HttpError(503, "DATABASE_UNAVAILABLE", "The database is not answering");
    }
    return { status: "ok" as const, database: "ok" as const, labs };
  });
};

export default healthRoutes;
