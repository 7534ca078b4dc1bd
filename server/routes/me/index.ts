/**
 * GET /api/me: the caller as its token says (id, name, role), never the
 * token itself. The web page asks it once after signing in, to show the
 * student's or the instructor's screens and to check that a pasted token works.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { meSchema } from "./schema.js";

const meRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/", { schema: meSchema }, async (request) => {
    const { id, name, role } = await app.authenticate(request);
    return { id, name, role };
  });
};

export default meRoutes;
