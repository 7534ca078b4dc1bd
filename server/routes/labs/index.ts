/**
 * The lab catalogue: GET /api/labs lists the labs, GET /api/labs/:id returns
 * one (whole for instructors; without its solution and checks for everyone
 * else, lab-view.ts); both are public and read the database the lab files
 * were synced into at start. Instructors also create, replace and delete labs of their
 * own (POST, PUT, DELETE), checked exactly like lab files. A lab body is read
 * as what its Content-Type says: JSON as application/json, YAML as a YAML
 * type; any other type, or none, is 415 before the body is read.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { HttpError } from "../../http/http-error.js";
import { JSON_MEDIA_TYPE, mediaTypeOf, unsupportedMediaType, YAML_MEDIA_TYPES } from "../../http/media-types.js";
import { createApiLab, deleteApiLab, parseApiLab, replaceApiLab, type LabFormat } from "../../labs/api-labs.js";
import { findLab, listLabs } from "../../labs/lab-repository.js";
import { studentLabView } from "../../labs/lab-view.js";
import { createLabSchema, deleteLabSchema, getLabSchema, listLabsSchema, replaceLabSchema } from "./schema.js";

/** A lab is larger than the usual request: its texts come in two languages. */
export const LAB_BODY_LIMIT = 1024 * 1024;
const LAB_MEDIA_TYPES = [JSON_MEDIA_TYPE, ...YAML_MEDIA_TYPES];

const labRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/", { schema: listLabsSchema, config: { access: "public" } }, async () => ({ labs: await listLabs(app.prisma) }));

  app.get("/:id", { schema: getLabSchema, config: { access: "public" } }, async (request) => {
    // Public, but a token (when sent) decides how much is shown: the solution and checks only to instructors.
    const principal = request.headers.authorization === undefined ? null : await app.authenticate(request);
    const lab = await findLab(app.prisma, request.params.id);
    if (lab === null) throw new HttpError(404, "LAB_NOT_FOUND", `No lab with id "${request.params.id}"`);
    return principal?.role === "instructor" ? lab : studentLabView(lab);
  });

  await app.register(labWriteRoutes);
};

/** In their own scope: their bodies are taken as text, for the lab-file parser. */
const labWriteRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(LAB_MEDIA_TYPES, { parseAs: "string", bodyLimit: LAB_BODY_LIMIT }, (_request, body, done) => done(null, body));
  // Every other type (and a body without one) ends here, unread: the 415 lists the types above.
  app.addContentTypeParser("*", (request, _payload, done) => done(unsupportedMediaType(request.headers["content-type"], LAB_MEDIA_TYPES), undefined));
  // The body (text) always fails the schema it documents; attachValidation lets the
  // handler ignore that while still refusing bad params.
  const asText = { attachValidation: true, bodyLimit: LAB_BODY_LIMIT, config: { access: "instructor" as const } };

  app.post("/", { schema: createLabSchema, ...asText }, async (request, reply) => {
    rejectInvalidParams(request);
    const lab = parseApiLab(bodyText(request.body), formatOf(request));
    await createApiLab(app.prisma, lab);
    return reply.code(201).send(lab);
  });

  app.put("/:id", { schema: replaceLabSchema, ...asText }, async (request) => {
    rejectInvalidParams(request);
    const lab = parseApiLab(bodyText(request.body), formatOf(request), request.params.id);
    await replaceApiLab(app.prisma, lab);
    return lab;
  });

  app.delete("/:id", { schema: deleteLabSchema, config: { access: "instructor" } }, async (request, reply) => {
    await deleteApiLab(app.prisma, request.params.id);
    return reply.code(204).send(null);
  });
};

function rejectInvalidParams(request: FastifyRequest): void {
  const error = request.validationError;
  if (error !== undefined && error.validationContext !== "body") throw error;
}

/** The parsers above let through only JSON and YAML types. */
function formatOf(request: FastifyRequest): LabFormat {
  return mediaTypeOf(request.headers["content-type"]) === JSON_MEDIA_TYPE ? "json" : "yaml";
}

function bodyText(body: unknown): string {
  if (typeof body !== "string" || body.trim() === "") {
    throw new HttpError(400, "INVALID_LAB", "The request body must be a lab, as YAML or JSON");
  }
  return body;
}

export default labRoutes;
