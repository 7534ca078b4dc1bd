/**
 * GET /api/labs/:id/script: the lab as a bash script (lab-script/), public
 * like the lab itself. Its MACs are those a session with the default seed
 * draws; a session's own script (routes/sessions/script.ts) uses its seed.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { HttpError } from "../../http/http-error.js";
import { labScript } from "../../lab-script/lab-script.js";
import { findLab } from "../../labs/lab-repository.js";
import { labScriptSchema, SHELL_SCRIPT_TYPE } from "./script-schema.js";

const labScriptRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/:id/script", { schema: labScriptSchema, config: { access: "public" } }, async (request, reply) => {
    const lab = await findLab(app.prisma, request.params.id);
    if (lab === null) throw new HttpError(404, "LAB_NOT_FOUND", `No lab with id "${request.params.id}"`);
    const made = labScript({ labId: lab.id, title: lab.title.en, topology: lab.topology, ...(request.query.prefix === undefined ? {} : { prefix: request.query.prefix }) });
    if (made.kind !== "ok") throw new HttpError(500, "INVALID_TOPOLOGY", made.message);
    return reply
      .type(SHELL_SCRIPT_TYPE)
      .header("content-disposition", `attachment; filename="cnlab-${lab.id}.sh"`)
      .send(made.script);
  });
};

export default labScriptRoutes;
