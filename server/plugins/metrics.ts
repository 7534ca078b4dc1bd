/**
 * The instance's figures in Prometheus's text format (prom-client), for
 * GET /metrics (routes/metrics). Decorates `app.metrics` with what the route
 * needs: the text and its content type.
 *
 * Most figures are read when Prometheus scrapes, not kept up to date as
 * things happen: sessions live, requests queued per simulator worker, trace
 * WebSockets open, the cluster's leases. Only what cannot be read afterwards
 * is counted as it happens, by hooks on the command route alone (no cost on
 * any other route): commands answered and how long they took, and the trace
 * events the acknowledged ones recorded. A command is counted where it ran:
 * an instance that forwarded it to the session's owner (plugins/cluster.ts)
 * does not count the answer it relayed, so a sum over instances counts each
 * command once.
 *
 * Node's process figures (CPU, memory, event-loop delay, GC) belong to the
 * process, not to one app, so they are collected once per process: a test
 * that builds many apps does not start one event-loop monitor each.
 */
import type { RouteOptions } from "fastify";
import fp from "fastify-plugin";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { INSTANCE_HEADER } from "../cluster/forward-request.js";
import type { CommandOutcome } from "../sessions/session-manager.js";

declare module "fastify" {
  interface FastifyInstance {
    metrics: { contentType: string; text(): Promise<string> };
  }
}

/** The route whose answers are counted as commands (routes/sessions/index.ts). */
export const COMMAND_ROUTE = { method: "POST", url: "/api/sessions/:id/commands" } as const;

/** From a ping's few milliseconds to CNLAB_COMMAND_WALL_MS's default of 20 s. */
const COMMAND_SECONDS_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20];

/** How the command route answered, as the `result` label says it. */
type CommandResult = "acknowledged" | "refused" | "failed";

function commandResult(statusCode: number): CommandResult {
  if (statusCode < 400) return "acknowledged";
  return statusCode < 500 ? "refused" : "failed";
}

let processRegistry: Registry | undefined;

/** Node's default metrics, registered once per process on first use. */
function processMetrics(): Registry {
  if (processRegistry === undefined) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

export default fp(
  async function metrics(app) {
    const registry = new Registry();
    const registers = [registry];
    const { cluster } = app;

    new Gauge({
      name: "cnlab_instance_info",
      help: "Always 1; the instance label names this instance among the others (CNLAB_INSTANCE_ID)",
      labelNames: ["instance"],
      registers,
    }).set({ instance: cluster.instanceId }, 1);

    new Gauge({
      name: "cnlab_sessions_live",
      help: "Sessions whose network is in memory now (in a simulator worker)",
      registers,
      collect() {
        this.set(app.sessionManager.liveCount);
      },
    });

    new Gauge({
      name: "cnlab_sessions_owned",
      help: "Sessions this instance holds the lease of (with Redis); without Redis, the sessions live here",
      registers,
      collect() {
        this.set(cluster.ownedSessions());
      },
    });

    keptCounter(registry, "cnlab_lease_renewals_total", "Session leases this instance renewed in Redis since it started (0 without Redis)", () => cluster.leaseRenewals);
    keptCounter(
      registry,
      "cnlab_trace_events_relayed_total",
      "Trace events of commands run on other instances, read from the database for the trace streams open here (0 without Redis)",
      () => cluster.eventsRelayed,
    );

    new Gauge({
      name: "cnlab_worker_queue_depth",
      help: "Simulator requests (commands, replays, captures) sent to a worker and not yet answered",
      labelNames: ["worker"],
      registers,
      collect() {
        app.sessionManager.workerQueueDepths().forEach((depth, worker) => this.set({ worker: String(worker) }, depth));
      },
    });

    new Gauge({
      name: "cnlab_trace_clients",
      help: "Trace streams (WebSockets) open on this instance",
      registers,
      collect() {
        this.set(app.hasDecorator("websocketServer") ? app.websocketServer.clients.size : 0);
      },
    });

    const commands = new Counter({
      name: "cnlab_commands_total",
      help: "Commands this instance answered: acknowledged (run and logged), refused (4xx: limits, bad input) or failed (5xx)",
      labelNames: ["result"],
      registers,
    });
    // Present from the start, so a rate() over them has a first sample of 0.
    for (const result of ["acknowledged", "refused", "failed"] satisfies CommandResult[]) commands.inc({ result }, 0);

    const commandSeconds = new Histogram({
      name: "cnlab_command_duration_seconds",
      help: "Time from a command's request to its acknowledgement (queue, simulator and log write included)",
      buckets: COMMAND_SECONDS_BUCKETS,
      registers,
    });

    const traceEvents = new Counter({
      name: "cnlab_trace_events_total",
      help: "Trace events recorded by the commands this instance acknowledged",
      registers,
    });

    app.addHook("onRoute", (route) => {
      if (route.method !== COMMAND_ROUTE.method || route.url !== COMMAND_ROUTE.url) return;
      appendHook(route, "preSerialization", async (_request, reply, payload: unknown) => {
        if (reply.statusCode === 200) {
          const { events } = payload as CommandOutcome;
          traceEvents.inc(events.to - events.from);
        }
        return payload;
      });
      appendHook(route, "onResponse", async (_request, reply) => {
        // Relayed from the session's owner, which counts it.
        const answeredBy = reply.getHeader(INSTANCE_HEADER);
        if (answeredBy !== undefined && answeredBy !== cluster.instanceId) return;
        const result = commandResult(reply.statusCode);
        commands.inc({ result });
        if (result === "acknowledged") commandSeconds.observe(reply.elapsedTime / 1000);
      });
    });

    const processFigures = processMetrics();
    app.decorate("metrics", {
      contentType: registry.contentType,
      // Two registries, one text: each ends its last line with a newline.
      text: async () => (await processFigures.metrics()) + (await registry.metrics()),
    });
  },
  { name: "metrics", fastify: "5.x", dependencies: ["sessions", "cluster"] },
);

/** A counter whose count another part keeps (the cluster): read at each scrape, shown as it stands. */
function keptCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

type HookName = "preSerialization" | "onResponse";

/** Adds a hook to one route's own list, after those it has. */
function appendHook<H extends HookName>(route: RouteOptions, name: H, hook: NonNullable<RouteOptions[H]> extends infer T ? (T extends readonly (infer U)[] ? U : T) : never): void {
  const existing = route[name];
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  route[name] = [...list, hook] as RouteOptions[H];
}
