/**
 * Instructors' routes for keeping sessions or clearing them out: archive and
 * un-archive one session, and delete many at once by last activity. The rules
 * are the retention module's (sessions/session-retention.ts); every deletion
 * goes through the session manager, so live engines and trace streams end as
 * they do for a single DELETE. Documented in docs/sessions-api.md.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { HttpError } from "../../http/http-error.js";
import { archiveSessionSchema, deleteSessionsSchema, unarchiveSessionSchema } from "./retention-schema.js";
import { sessionView } from "./session-view.js";

const BULK_DELETE_PARAMETERS = Object.keys(deleteSessionsSchema.querystring.properties);

const retentionRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const instructor = { access: "instructor" as const };
  const manager = app.sessionManager;

  const archive = async (id: string, archived: boolean) => {
    await app.retention.setArchived(id, archived);
    // The command path keeps what it knows of a session: it must read the archive flag again.
    manager.invalidate(id);
    return sessionView(await manager.get(id), manager.isLive(id));
  };

  app.post("/:id/archive", { schema: archiveSessionSchema, config: instructor }, async (request) => archive(request.params.id, true));

  app.delete("/:id/archive", { schema: unarchiveSessionSchema, config: instructor }, async (request) => archive(request.params.id, false));

  app.delete(
    "/",
    {
      schema: deleteSessionsSchema,
      config: instructor,
      // Unknown parameters are refused, not dropped as elsewhere: a misspelt filter (labid=) would widen the delete to every lab.
      preValidation: async (request) => {
        const unknown = Object.keys(request.query as Record<string, unknown>).find((name) => !BULK_DELETE_PARAMETERS.includes(name));
        if (unknown === undefined) return;
        throw new HttpError(400, "VALIDATION_ERROR", `Unknown query parameter "${unknown}": a bulk delete takes only ${BULK_DELETE_PARAMETERS.join(", ")}`, [
          { in: "querystring", path: `/${unknown}`, message: "is not a parameter of this route" },
        ]);
      },
    },
    async (request) => {
      const { before, labId, ownerId, archived } = request.query;
      const deleted = await app.retention.deleteInactive({ before: new Date(before), labId, ownerId, archived });
      return { deleted };
    },
  );
};

export default retentionRoutes;
