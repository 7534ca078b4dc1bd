/**
 * The lab catalogue: GET /api/labs lists the labs, GET /api/labs/:id returns
 * one whole. Both read the database the lab files were synced into at start.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { HttpError } from "../../http/http-error.js";
import { findLab, listLabs } from "../../labs/lab-repository.js";
import { getLabSchema, listLabsSchema } from "./schema.js";

const labRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/", { schema: listLabsSchema }, async () => ({ labs: await listLabs(app.prisma) }));

  app.get("/:id", { schema: getLabSchema }, async (request) => {
    const lab = await findLab(app.prisma, request.params.id);
    if (lab === null) throw new HttpError(404, "LAB_NOT_FOUND", `No lab with id "${request.params.id}"`);
    return lab;
  });
};

export default labRoutes;
