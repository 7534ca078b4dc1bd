/**
 * Decorates `app.retention` with the session retention rules (archiving, who
 * may delete what, bulk deletes; sessions/session-retention.ts), deleting
 * through the session manager. With a retention of D > 0 days it sweeps once
 * the app is ready and then hourly, on a timer that does not hold the process
 * open; on close it stops the timer and waits for a sweep under way (before
 * the sessions and the database close: plugins close in reverse order).
 */
import fp from "fastify-plugin";
import { SessionRetention } from "../sessions/session-retention.js";

declare module "fastify" {
  interface FastifyInstance {
    retention: SessionRetention;
  }
}

export interface RetentionPluginOptions {
  /** CNLAB_RETENTION_DAYS: days a session may sit unused before it is deleted; 0 keeps sessions forever. */
  retentionDays: number;
  /** Wall clock, ms; tests inject one. */
  now?: () => number;
}

export default fp<RetentionPluginOptions>(
  async function retention(app, options) {
    const service = new SessionRetention(app.prisma, {
      retentionDays: options.retentionDays,
      deleteSession: (id) => app.sessionManager.delete(id),
      log: app.log,
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    app.decorate("retention", service);
    // Not during the boot: a long first sweep must not hold up the start.
    app.addHook("onReady", async () => service.start());
    app.addHook("onClose", async () => service.close());
  },
  { name: "retention", fastify: "5.x", dependencies: ["db", "sessions"] },
);
