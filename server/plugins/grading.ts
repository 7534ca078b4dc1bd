/**
 * Decorates `app.grading` with the grading service (students' progress and
 * answers, instructors' grading runs), reading sessions through the session
 * layer's own interfaces. At start it marks runs an earlier process left
 * unfinished as interrupted; on close it stops the run under way between two
 * sessions (before the database closes: plugins close in reverse order).
 */
import fp from "fastify-plugin";
import { GradingService } from "../grading/grading-service.js";
import { SessionNotReplayable } from "../grading/replayed-evidence.js";
import { WorkerRequestError } from "../simulator/engine-pool.js";

declare module "fastify" {
  interface FastifyInstance {
    grading: GradingService;
  }
}

export interface GradingPluginOptions {
  /** Wall clock, ms; tests inject one. */
  now?: () => number;
}

export default fp<GradingPluginOptions>(
  async function grading(app, options) {
    const service = new GradingService({
      prisma: app.prisma,
      database: app.database,
      sessions: app.sessionManager,
      sources: {
        copyNetwork: async (id, selectors) => {
          try {
            return await app.sessionManager.copy(await app.sessions.replayInputs(id), selectors);
          } catch (err) {
            if (err instanceof WorkerRequestError && err.failure.code === "INVALID_TOPOLOGY") {
              throw new SessionNotReplayable(`the session's network cannot be rebuilt: ${err.message}`);
            }
            throw err;
          }
        },
        eventsSince: (id, fromSeq, limit) => app.sessionManager.eventsSince(id, fromSeq, limit),
        commands: (id, from, limit) => app.sessionManager.commands(id, from, limit),
      },
      log: app.log,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    await service.recover();
    app.decorate("grading", service);
    app.addHook("onClose", async () => service.close());
  },
  { name: "grading", fastify: "5.x", dependencies: ["db", "sessions"] },
);
