/**
 * Access tokens, for instructors only: make a token per student, list the
 * tokens in use, revoke one. A token is shown once, in the answer that makes it.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { TokenInfo } from "../../auth/access-tokens.js";
import { createTokenSchema, deleteTokenSchema, listTokensSchema } from "./schema.js";

const view = <T extends TokenInfo>(token: T) => ({ ...token, createdAt: token.createdAt.toISOString() });

const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const instructorOnly = { access: "instructor" as const };

  app.post("/", { schema: createTokenSchema, config: instructorOnly }, async (request, reply) => {
    const principal = await app.authenticate(request);
    const created = await app.accessTokens.create({ name: request.body.name, role: request.body.role, createdById: principal.id });
    return reply.code(201).send(view(created));
  });

  app.get("/", { schema: listTokensSchema, config: instructorOnly }, async () => ({
    tokens: (await app.accessTokens.list()).map(view),
  }));

  app.delete("/:id", { schema: deleteTokenSchema, config: instructorOnly }, async (request, reply) => {
    await app.accessTokens.revoke(request.params.id);
    return reply.code(204).send(null);
  });
};

export default tokenRoutes;
