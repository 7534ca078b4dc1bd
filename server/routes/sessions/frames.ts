/**
 * GET /api/sessions/:id/frames/:seq: the bytes of the frame a stored trace
 * event is about, for a hex view beside the event's decoded layers. Events
 * keep layers, not bytes: the command that recorded the event is replayed in
 * a simulator worker (sessions/frame-reader.ts), and every frame of that
 * command is kept for the next event asked about. The frame is as its device
 * carries it: Ethernet, or a bare IPv4 packet on a TUN or IPIP device
 * (`X-Link-Type: raw`).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";
import { perToken } from "../../plugins/rate-limits.js";
import { SessionParams } from "./trace-schema.js";

export const FRAME_CONTENT_TYPE = "application/octet-stream";

/** Stepping through a trace asks for frame after frame; most come from the cache. */
const FRAMES_PER_MINUTE = 600;

const framesRouteSchema = {
  tags: ["sessions"],
  summary: "The bytes of the frame a trace event is about",
  description:
    "The frame as its device carried it (the same bytes a capture holds): `X-Link-Type` says `ethernet`, or `raw` for a bare IPv4 packet on a TUN or IPIP device. 404 `EVENT_NOT_FOUND` for a seq the session has not recorded, 404 `NO_FRAME` for an event that is about no frame (a route lookup, a neighbour state change).",
  params: Type.Object({ ...SessionParams.properties, seq: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }) }, { additionalProperties: false }),
  response: {
    200: {
      description: "the frame's bytes",
      headers: Type.Object({ "x-link-type": Type.Union([Type.Literal("ethernet"), Type.Literal("raw")]) }),
      content: { [FRAME_CONTENT_TYPE]: { schema: { type: "string", format: "binary" } } },
    },
    400: ErrorResponse,
    401: ErrorResponse,
    403: ErrorResponse,
    404: ErrorResponse,
  },
};

const frameRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/:id/frames/:seq", { schema: framesRouteSchema, config: { rateLimit: perToken(FRAMES_PER_MINUTE, "minute", "frame reads") } }, async (request, reply) => {
    const { id, seq } = request.params;
    await app.sessions.authorize(await app.authenticate(request), id);
    const frame = await app.sessionManager.frame(id, seq);
    return reply
      .type(FRAME_CONTENT_TYPE)
      .header("x-link-type", frame.linkType)
      // Replays are deterministic: an event's frame never changes.
      .header("cache-control", "private, max-age=86400, immutable")
      .send(Buffer.from(frame.bytes.buffer, frame.bytes.byteOffset, frame.bytes.byteLength));
  });
};

export default frameRoutes;
