/**
 * Decorates the app with the session manager, twice: `app.sessions` typed as
 * the SessionService contract (what the trace stream and pcap export use, and
 * what a test double implements), and `app.sessionManager` with everything
 * the REST routes need. It stops the idle sweep when the app closes.
 */
import fp from "fastify-plugin";
import { SessionManager } from "../sessions/session-manager.js";
import type { SessionService } from "../sessions/session-service.js";
import type { SimulatorConfig } from "../simulator/simulator-config.js";

declare module "fastify" {
  interface FastifyInstance {
    sessions: SessionService;
    sessionManager: SessionManager;
  }
}

export interface SessionsPluginOptions {
  idleSeconds: number;
  maxLive: number;
  /** Wall clock for the virtual clock and idle times, ms; tests inject one. */
  now?: () => number;
  /** Simulator workers, command budgets, session limits, storage quotas (defaults when absent). */
  simulator?: SimulatorConfig;
}

export default fp<SessionsPluginOptions>(
  async function sessions(app, options) {
    const manager = new SessionManager(app.prisma, {
      idleSeconds: options.idleSeconds,
      maxLive: options.maxLive,
      log: app.log,
      database: app.database,
      ...(options.simulator === undefined ? {} : { simulator: options.simulator }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    app.decorate("sessions", manager);
    app.decorate("sessionManager", manager);
    app.addHook("onClose", async () => manager.close());
  },
  { name: "sessions", fastify: "5.x", dependencies: ["db"] },
);
