/**
 * GET /metrics: this instance's figures in Prometheus's text format
 * (plugins/metrics.ts lists them). For a scraper, not for the API's clients:
 * it takes CNLAB_METRICS_TOKEN or an instructor's token (plugins/auth.ts), and
 * stays out of the OpenAPI document.
 */
import type { FastifyPluginAsync } from "fastify";

const metricsRoutes: FastifyPluginAsync = async (app) => {
  app.get("/metrics", { schema: { hide: true }, config: { access: "metrics" } }, async (_request, reply) => {
    reply.type(app.metrics.contentType);
    return app.metrics.text();
  });
};

export default metricsRoutes;
