/**
 * Builds the Fastify instance: server options, then infrastructure plugins
 * (errors, request ids, database, lab catalogue, OpenAPI, WebSocket), then the
 * routes. It does not listen and does not migrate: main.ts does both, and tests
 * call buildApp on a migrated copy of the database and use app.inject.
 *
 * Routes are registered by import rather than autoloaded from folders: with a
 * handful of them, the import list is the map of the API and tsc checks it.
 */
import websocket from "@fastify/websocket";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify, { type FastifyServerOptions } from "fastify";
import { CONFIG_DEFAULTS, type Config } from "./config.js";
import { clientErrorHandler } from "./http/client-error.js";
import { lazySchemaCompilers, type LazySchemaCompilers } from "./http/lazy-schema-compilers.js";
import { redactingLogger } from "./http/log-redaction.js";
import type { LoadedLab } from "./labs/load-labs.js";
import auth from "./plugins/auth.js";
import closingGuard from "./plugins/closing-guard.js";
import cluster from "./plugins/cluster.js";
import db from "./plugins/db.js";
import errorHandler from "./plugins/error-handler.js";
import grading from "./plugins/grading.js";
import jsonBody from "./plugins/json-body.js";
import labCatalogue from "./plugins/lab-catalogue.js";
import metrics from "./plugins/metrics.js";
import rateLimits from "./plugins/rate-limits.js";
import redis from "./plugins/redis.js";
import requestId, { requestIdOptions } from "./plugins/request-id.js";
import retention from "./plugins/retention.js";
import sessions from "./plugins/sessions.js";
import swagger from "./plugins/swagger.js";
import gradingRoutes from "./routes/grading/index.js";
import healthRoutes from "./routes/health/index.js";
import labRoutes from "./routes/labs/index.js";
import labScriptRoutes from "./routes/labs/script.js";
import meRoutes from "./routes/me/index.js";
import metricsRoutes from "./routes/metrics/index.js";
import answerRoutes from "./routes/sessions/answers.js";
import sessionRoutes from "./routes/sessions/index.js";
import frameRoutes from "./routes/sessions/frames.js";
import pcapRoutes from "./routes/sessions/pcap.js";
import { ReplayBandwidth } from "./sessions/replay-bandwidth.js";
import progressRoutes from "./routes/sessions/progress.js";
import retentionRoutes from "./routes/sessions/retention.js";
import sessionScriptRoutes from "./routes/sessions/script.js";
import traceRoutes from "./routes/sessions/trace.js";
import tokenRoutes from "./routes/tokens/index.js";
import web from "./plugins/web.js";

/** What the app needs of the configuration; the session and token settings default as the environment's would. */
export type AppConfig = Pick<Config, "databaseUrl" | "labsDir" | "logLevel"> &
  Partial<
    Pick<
      Config,
      "instructorToken" | "leaseMs" | "advertiseUrl" | "instanceId" | "redisUrl" | "metricsToken" | "trustProxy" | "sessionIdleSeconds" | "maxLiveSessions" | "commandRate" | "sessionRate" | "maxStreamsPerToken" | "maxStreamsPerSession" | "retentionDays" | "authFailuresPerMinute" | "replayMbPerSecond" | "simulator"
    >
  >;

/** How long after the server listens its routes' remaining schemas start compiling, ms. */
const SCHEMA_WARM_UP_DELAY_MS = 500;

/** Request bodies are small JSON; lab uploads (routes/labs) allow more. */
export const BODY_LIMIT = 64 * 1024;

export interface BuildAppOptions {
  /** Overrides the pino logger built from config.logLevel (tests pass false). */
  logger?: FastifyServerOptions["logger"];
  /** Lab files already read from config.labsDir; read them during the boot when absent. */
  labs?: readonly LoadedLab[];
  /** Where a generated first instructor token is shown (default: one line on stdout). */
  announceToken?: (token: string) => void;
  /** Wall clock for sessions (virtual time between commands, idle eviction), ms; tests inject one. */
  now?: () => number;
}

export async function buildApp(config: AppConfig, options: BuildAppOptions = {}) {
  const schemas = lazySchemaCompilers();
  const app = Fastify({
    // Tokens in URLs and headers never reach the log, whoever supplies the logger (http/log-redaction.ts).
    logger: redactingLogger(options.logger ?? { level: config.logLevel }),
    // Node's HTTP parser answers some requests before Fastify sees them (431 for huge headers): in the error shape too.
    clientErrorHandler,
    ...requestIdOptions,
    // Our closing-guard answers with the project's error shape instead.
    return503OnClosing: false,
    // Keep-alive connections that sit idle must not hold a shutdown open.
    forceCloseConnections: "idle",
    routerOptions: { ignoreTrailingSlash: true },
    // Behind a proxy (CNLAB_TRUST_PROXY), request.ip is the client's: the per-address limits count clients, not the proxy.
    trustProxy: config.trustProxy ?? false,
    bodyLimit: BODY_LIMIT,
    // Each route's schemas are compiled on its first request, or once the server listens, not all at start (http/lazy-schema-compilers.ts).
    schemaController: schemas.controller,
  }).withTypeProvider<TypeBoxTypeProvider>();

  try {
    await app.register(errorHandler);
    await app.register(jsonBody);
    await app.register(requestId);
    await app.register(closingGuard);
    await app.register(db, { databaseUrl: config.databaseUrl });
    await app.register(labCatalogue, { labsDir: config.labsDir, ...(options.labs === undefined ? {} : { labs: options.labs }) });
    await app.register(redis, { url: config.redisUrl ?? null });
    // Before auth, which counts failed authentications with its limiter.
    await app.register(rateLimits);
    await app.register(auth, {
      instructorToken: config.instructorToken ?? null,
      failuresPerMinute: config.authFailuresPerMinute ?? Number(CONFIG_DEFAULTS.CNLAB_AUTH_FAILURES_PER_MINUTE),
      metricsToken: config.metricsToken ?? null,
      ...(options.announceToken === undefined ? {} : { announceToken: options.announceToken }),
    });
    await app.register(sessions, {
      idleSeconds: config.sessionIdleSeconds ?? Number(CONFIG_DEFAULTS.CNLAB_SESSION_IDLE_SECONDS),
      maxLive: config.maxLiveSessions ?? Number(CONFIG_DEFAULTS.CNLAB_MAX_LIVE_SESSIONS),
      ...(config.simulator === undefined ? {} : { simulator: config.simulator }),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    // After the sessions, before the routes: it hooks the routes that must run where their session's lease is.
    await app.register(cluster, {
      redisUrl: config.redisUrl ?? null,
      // /health and /metrics read the name it settles on (app.cluster.instanceId).
      instanceId: config.instanceId ?? null,
      advertiseUrl: config.advertiseUrl ?? null,
      leaseMs: config.leaseMs ?? Number(CONFIG_DEFAULTS.CNLAB_LEASE_MS),
      forwardTimeoutMs: (config.simulator?.budget.wallMs ?? Number(CONFIG_DEFAULTS.CNLAB_COMMAND_WALL_MS)) + 10_000,
    });
    await app.register(grading, options.now === undefined ? {} : { now: options.now });
    await app.register(retention, {
      retentionDays: config.retentionDays ?? Number(CONFIG_DEFAULTS.CNLAB_RETENTION_DAYS),
      ...(options.now === undefined ? {} : { now: options.now }),
    });
    // Before the routes: it hooks the command route as it is added.
    await app.register(metrics);
    await app.register(swagger);
    // The trace stream of a session is a WebSocket route. Client messages are small
    // subscribe requests, so ws need not buffer more; on shutdown clients get 1001 (going away).
    await app.register(websocket, {
      options: { maxPayload: 64 * 1024 },
      preClose(done) {
        for (const client of this.websocketServer.clients) client.close(1001, "server shutting down");
        done();
      },
    });

    await app.register(healthRoutes);
    await app.register(metricsRoutes);
    await app.register(labRoutes, { prefix: "/api/labs" });
    await app.register(labScriptRoutes, { prefix: "/api/labs" });
    await app.register(sessionRoutes, {
      prefix: "/api/sessions",
      commandRate: config.commandRate ?? Number(CONFIG_DEFAULTS.CNLAB_COMMAND_RATE),
      sessionRate: config.sessionRate ?? Number(CONFIG_DEFAULTS.CNLAB_SESSION_RATE),
    });
    await app.register(retentionRoutes, { prefix: "/api/sessions" });
    // One download budget per token, drawn on by its trace replays and its capture files alike.
    const downloads = new ReplayBandwidth((config.replayMbPerSecond ?? Number(CONFIG_DEFAULTS.CNLAB_REPLAY_MB_PER_SECOND)) * 1024 * 1024);
    await app.register(traceRoutes, {
      prefix: "/api/sessions",
      maxStreamsPerToken: config.maxStreamsPerToken ?? Number(CONFIG_DEFAULTS.CNLAB_MAX_STREAMS_PER_TOKEN),
      maxStreamsPerSession: config.maxStreamsPerSession ?? Number(CONFIG_DEFAULTS.CNLAB_MAX_STREAMS_PER_SESSION),
      bandwidth: downloads,
    });
    await app.register(pcapRoutes, { prefix: "/api/sessions", bandwidth: downloads });
    await app.register(sessionScriptRoutes, { prefix: "/api/sessions" });
    await app.register(frameRoutes, { prefix: "/api/sessions" });
    await app.register(progressRoutes, { prefix: "/api/sessions" });
    await app.register(answerRoutes, { prefix: "/api/sessions" });
    await app.register(gradingRoutes, { prefix: "/api/grading" });
    await app.register(tokenRoutes, { prefix: "/api/tokens" });
    await app.register(meRoutes, { prefix: "/api/me" });
    // Last: the page answers GETs no route above claims.
    await app.register(web);
    // The routes' schemas no request has needed yet, compiled in the background shortly after the
    // server listens: not at once, so that the first readiness probes find the thread free.
    app.decorate("lazySchemas", schemas);
    let closing = false;
    app.addHook("onListen", async function () {
      const warmUp = () =>
        void schemas.warmUp(() => closing).catch((err: unknown) => app.log.error({ err }, "compiling the routes' schemas ahead of their first requests failed; each is compiled on its first request"));
      setTimeout(warmUp, SCHEMA_WARM_UP_DELAY_MS).unref();
    });
    app.addHook("preClose", async function () {
      closing = true;
    });
  } catch (err) {
    // A plugin that failed (a bad lab file) must not leave the database open behind it.
    await app.close().catch(() => undefined);
    throw err;
  }
  return app;
}

export type App = Awaited<ReturnType<typeof buildApp>>;

declare module "fastify" {
  interface FastifyInstance {
    /** The routes' schema compilers: how many schemas are still to compile (http/lazy-schema-compilers.ts). */
    lazySchemas: Pick<LazySchemaCompilers, "pending">;
  }
}
