/**
 * GET /api/sessions/:id/trace: the session's trace over a WebSocket.
 *
 * Access is checked before the upgrade (bearer header, or ?access_token= for
 * clients that cannot set headers), so a refused client gets an HTTP answer
 * in the error shape: 401, 403 or 404, and 429 TOO_MANY_STREAMS when the
 * token or the session already has as many streams open as it may (the slot
 * is taken before the upgrade and given back when the connection ends, see
 * trace-stream-slots.ts). Without an upgrade the route answers 426. After
 * the upgrade the server sends `hello`; the client sends one `subscribe`
 * (fromSeq, filter) and gets `events` batches, replayed then live
 * (server/sessions/trace-stream.ts). The server pings every heartbeat period
 * and cuts off a peer that did not answer the previous ping. The messages are
 * documented in docs/trace-stream.md; trace-schema.ts has their schemas.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import type { FastifyRequest } from "fastify";
import { Compile } from "typebox/compile";
import type { WebSocket } from "ws";
import { CONFIG_DEFAULTS } from "../../config.js";
import { errorBody } from "../../http/error-response.js";
import { HttpError } from "../../http/http-error.js";
import type { SessionService } from "../../sessions/session-service.js";
import {
  CLOSE_INTERNAL_ERROR,
  CLOSE_SESSION_DELETED,
  DEFAULT_TRACE_STREAM_OPTIONS,
  TraceStream,
  type ErrorMessage,
  type TraceSource,
  type TraceStreamOptions,
} from "../../sessions/trace-stream.js";
import { ReplayBandwidth } from "../../sessions/replay-bandwidth.js";
import { TraceStreamSlots } from "../../sessions/trace-stream-slots.js";
import { ClientMessage, traceRouteSchema } from "./trace-schema.js";

export interface TraceRouteOptions {
  /** Page size, socket high-water mark and per-client queue limits. */
  stream?: Partial<TraceStreamOptions>;
  /** Milliseconds between pings; a peer that has not answered one ping by the next is cut off. */
  heartbeatMs?: number;
  /** Streams one token may have open at once (CNLAB_MAX_STREAMS_PER_TOKEN). */
  maxStreamsPerToken?: number;
  /** Streams open on one session at once (CNLAB_MAX_STREAMS_PER_SESSION). */
  maxStreamsPerSession?: number;
  /** MB per second one token's streams may replay from the store (CNLAB_REPLAY_MB_PER_SECOND). */
  replayMbPerSecond?: number;
  /** The tokens' download budgets, shared with capture files; made from replayMbPerSecond when absent. */
  bandwidth?: ReplayBandwidth;
}

export const DEFAULT_HEARTBEAT_MS = 30_000;
/** What a refused client is told to wait: a slot frees whenever one of the open streams ends, which cannot be foreseen. */
export const STREAM_RETRY_AFTER_SECONDS = 5;
/** Client messages are small: a subscribe with a filter. */
const MAX_CLIENT_MESSAGE_BYTES = 16 * 1024;

const checkClientMessage = Compile(ClientMessage);

export function sessionTraceSource(sessions: SessionService, id: string): TraceSource {
  return {
    eventsSince: (fromSeq, limit) => sessions.eventsSince(id, fromSeq, limit),
    subscribe: (listener) => sessions.subscribe(id, listener),
  };
}

const traceRoutes: FastifyPluginAsyncTypebox<TraceRouteOptions> = async (app, options) => {
  const streamOptions: TraceStreamOptions = { ...DEFAULT_TRACE_STREAM_OPTIONS, ...options.stream };
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  const slots = new TraceStreamSlots({
    perToken: options.maxStreamsPerToken ?? Number(CONFIG_DEFAULTS.CNLAB_MAX_STREAMS_PER_TOKEN),
    perSession: options.maxStreamsPerSession ?? Number(CONFIG_DEFAULTS.CNLAB_MAX_STREAMS_PER_SESSION),
  });
  const replayBandwidth = options.bandwidth ?? new ReplayBandwidth((options.replayMbPerSecond ?? Number(CONFIG_DEFAULTS.CNLAB_REPLAY_MB_PER_SECOND)) * 1024 * 1024);
  // The slot each upgrading request took, for its WebSocket to give back too.
  const slotReleases = new WeakMap<FastifyRequest, () => void>();

  // Heartbeat: whether each socket answered the last ping.
  const answered = new Map<WebSocket, boolean>();
  const heartbeat = setInterval(() => {
    for (const [socket, ok] of answered) {
      if (!ok) {
        answered.delete(socket);
        socket.terminate();
        continue;
      }
      answered.set(socket, false);
      socket.ping();
    }
  }, heartbeatMs);
  heartbeat.unref();
  app.addHook("onClose", async () => clearInterval(heartbeat));

  app.route({
    method: "GET",
    url: "/:id/trace",
    schema: traceRouteSchema,
    // Before the upgrade: a refusal is an HTTP answer in the error shape.
    preHandler: async (request, reply) => {
      const principal = await app.authenticate(request);
      await app.sessions.authorize(principal, request.params.id);
      // A plain GET takes no slot: it gets its 426, and its keep-alive connection may live on.
      if (!request.ws) return;
      const connection = request.raw.socket ?? reply.raw.socket;
      // A client already gone will not be upgraded, and its close may have been emitted already.
      if (connection === null || connection === undefined || connection.destroyed) return;
      const slot = slots.acquire(principal.id, request.params.id);
      if (!slot.ok) {
        const where = slot.scope === "token" ? "this token has" : "this session has";
        reply.header("retry-after", String(STREAM_RETRY_AFTER_SECONDS));
        throw new HttpError(
          429,
          "TOO_MANY_STREAMS",
          `Too many trace streams: ${where} ${slot.open} open, at most ${slot.limit} per ${slot.scope}; close one and retry`,
          { scope: slot.scope, limit: slot.limit, open: slot.open, retryAfterSeconds: STREAM_RETRY_AFTER_SECONDS },
        );
      }
      // The connection's end gives the slot back, whether or not the upgrade goes through
      // (a handshake ws rejects destroys the connection without a WebSocket ever existing).
      connection.once("close", slot.release);
      slotReleases.set(request, slot.release);
    },
    handler: async (_request, reply) => {
      return reply
        .code(426)
        .header("upgrade", "websocket")
        .send(errorBody("UPGRADE_REQUIRED", "This route is a WebSocket: connect with an Upgrade: websocket request"));
    },
    wsHandler: (socket, request) => {
      const id = request.params.id;
      const log = request.log.child({ sessionId: id });
      let stream: TraceStream | null = null;
      let subscribed = false;

      const sendError = (code: string, message: string) => {
        const body: ErrorMessage = { type: "error", error: { code, message } };
        socket.send(JSON.stringify(body));
      };

      // Deleting the session ends its trace: say why, then close with a code that tells clients not to reconnect.
      const offDelete = app.sessions.onDelete(id, () => {
        stream?.stop();
        if (socket.readyState !== socket.OPEN) return;
        sendError("SESSION_DELETED", "The session was deleted: its trace ends here");
        socket.close(CLOSE_SESSION_DELETED, "session deleted");
      });

      answered.set(socket, true);
      socket.on("pong", () => answered.set(socket, true));
      const releaseSlot = slotReleases.get(request);
      slotReleases.delete(request);
      socket.on("close", () => {
        releaseSlot?.();
        answered.delete(socket);
        offDelete();
        stream?.stop();
      });

      // Not awaited: the message listener below must be in place in this tick, or an early subscribe is lost.
      const hello = app.sessions.nextSeq(id).then(
        (nextSeq) => {
          socket.send(JSON.stringify({ type: "hello", sessionId: id, nextSeq }));
          return true;
        },
        (err: unknown) => {
          log.error({ err }, "trace stream: could not read the session");
          sendError("TRACE_UNAVAILABLE", "The session's trace could not be read");
          socket.close(CLOSE_INTERNAL_ERROR, "trace unavailable");
          return false;
        },
      );

      socket.on("message", (data, isBinary) => {
        answered.set(socket, true);
        const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
        if (isBinary || bytes.length > MAX_CLIENT_MESSAGE_BYTES) {
          sendError("INVALID_MESSAGE", `Messages are JSON text of at most ${MAX_CLIENT_MESSAGE_BYTES} bytes`);
          return;
        }
        let message: unknown;
        try {
          message = JSON.parse(bytes.toString("utf8"));
        } catch {
          sendError("INVALID_MESSAGE", "The message is not JSON");
          return;
        }
        if (!checkClientMessage.Check(message)) {
          const first = checkClientMessage.Errors(message)[0];
          sendError("INVALID_MESSAGE", first === undefined ? "The message is not a subscribe message" : `${first.instancePath || "message"} ${first.message}`);
          return;
        }
        if (subscribed) {
          sendError("ALREADY_SUBSCRIBED", "One subscribe per connection: reconnect to change the filter or the starting seq");
          return;
        }
        subscribed = true;
        const subscribe = message;
        void hello.then((ok) => {
          if (!ok || socket.readyState !== socket.OPEN) return;
          stream = new TraceStream(
            sessionTraceSource(app.sessions, id),
            socket,
            subscribe.fromSeq ?? 0,
            subscribe.filter ?? {},
            streamOptions,
            (reason, err) => {
              if (reason === "lagged") log.info({ lastSeq: stream?.lastSeq }, "trace client lagged: closed with 4008");
              else if (reason === "error") log.error({ err }, "trace stream failed");
            },
            // A route built without the auth plugin (tests of the stream alone) has no principal: no pacing.
            request.principal == null ? null : replayBandwidth.pacer(request.principal.id),
          );
        });
      });
    },
  });
};

export default traceRoutes;
