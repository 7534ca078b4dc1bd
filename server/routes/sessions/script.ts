/**
 * GET /api/sessions/:id/script: the session's lab (the topology it started
 * from, with its seed's MACs) and every command it ran, as a bash script.
 * The same access rules as the other session routes: the owner, or an
 * instructor (404 / 403 otherwise).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { HttpError } from "../../http/http-error.js";
import { labScript } from "../../lab-script/lab-script.js";
import { findLab } from "../../labs/lab-repository.js";
import { SHELL_SCRIPT_TYPE } from "../labs/script-schema.js";
import { sessionScriptSchema } from "./script-schema.js";

const sessionScriptRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/:id/script", { schema: sessionScriptSchema }, async (request, reply) => {
    const { id } = request.params;
    await app.sessions.authorize(await app.authenticate(request), id);
    const [row, inputs] = await Promise.all([app.sessionManager.get(id), app.sessionManager.replayInputs(id)]);
    // The lab may have been changed or deleted since: the session keeps its own copy of the topology.
    const lab = await findLab(app.prisma, row.labId);
    const made = labScript({
      labId: row.labId,
      title: lab?.title.en ?? row.labId,
      topology: inputs.topology,
      seed: inputs.seed,
      commands: inputs.commands,
      source: `session ${id}: the lab, then its ${inputs.commands.length} command(s) in order`,
      ...(request.query.prefix === undefined ? {} : { prefix: request.query.prefix }),
    });
    if (made.kind !== "ok") throw new HttpError(500, "INVALID_TOPOLOGY", made.message);
    return reply
      .type(SHELL_SCRIPT_TYPE)
      .header("content-disposition", `attachment; filename="cnlab-session-${id.replace(/[^A-Za-z0-9._-]/g, "_")}.sh"`)
      .send(made.script);
  });
};

export default sessionScriptRoutes;
