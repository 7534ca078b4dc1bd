/**
 * The trace WebSocket's messages as JSON schemas: what a client may send
 * (subscribe) and what the server sends (hello, events, lagged, error), plus
 * the route's HTTP side (params, the token in the query, the answers before
 * an upgrade). docs/trace-stream.schema.json is written from
 * TraceStreamSchemaDocument (npm run docs:schema) and a test keeps it current.
 * Events refer to the trace-event schema by its $id rather than copying it.
 */
import { Type, type Static, type TSchema } from "typebox";
import { TRACE_EVENT_KINDS, TraceEventSchema, type TraceEvent } from "../../engine/index.js";
import { ErrorResponse } from "../../http/error-response.js";
import type { ErrorMessage as StreamErrorMessage, LaggedMessage as StreamLaggedMessage, TraceFilter as StreamFilter } from "../../sessions/trace-stream.js";

/** The layer kinds a frame decodes to (server/engine/wire/packet.ts). */
export const LAYER_KINDS = ["ethernet", "arp", "ipv4", "icmp", "tcp", "udp", "vxlan", "dns", "raw", "malformed"] as const;

const Name = Type.String({ minLength: 1, maxLength: 64 });
const list = <T extends TSchema>(item: T, description: string) =>
  Type.Optional(Type.Array(item, { maxItems: 64, description }));

export const TraceFilterSchema = Type.Object(
  {
    hosts: list(Name, "host names (`node1`)"),
    namespaces: list(Name, "namespace names: `root` or a container's or named namespace"),
    devices: list(Name, "device names (`eth0`, `docker0`); events without a device never match"),
    kinds: list(Type.Enum(TRACE_EVENT_KINDS), "event kinds (`bridge-flood`, `arp-request` …)"),
    protocols: list(Type.Enum(LAYER_KINDS), "layer kinds of the event's decoded frame (`arp`, `icmp`, `tcp` …); events without a frame never match"),
  },
  {
    additionalProperties: false,
    description: "Which events to send. An event passes when it matches every list given, and matches a list when it has one of its values. An empty or absent list matches everything.",
  },
);

export const SubscribeMessage = Type.Object(
  {
    type: Type.Literal("subscribe"),
    fromSeq: Type.Optional(
      Type.Integer({ minimum: 0, description: "replay stored events from this seq, then go live; 0 when absent (the whole session). To resume after `lagged`, send its lastSeq + 1; for live events only, send hello's nextSeq." }),
    ),
    filter: Type.Optional(TraceFilterSchema),
  },
  { additionalProperties: false, description: "Start the stream. Once per connection." },
);

export const ClientMessage = Type.Union([SubscribeMessage], { description: "a message from the client" });
export type ClientMessage = Static<typeof ClientMessage>;

/** The trace-event schema's $id, which events refer to. */
export const TRACE_EVENT_SCHEMA_ID = (TraceEventSchema as { $id?: string }).$id ?? "";

const TraceEventRef = Type.Unsafe<TraceEvent>(Type.Ref(TRACE_EVENT_SCHEMA_ID));

export const HelloMessage = Type.Object(
  {
    type: Type.Literal("hello"),
    sessionId: Type.String(),
    nextSeq: Type.Integer({ minimum: 0, description: "the seq the session's next event will get: events stored so far" }),
  },
  { additionalProperties: false, description: "Sent once, right after the upgrade." },
);

export const EventsMessage = Type.Object(
  {
    type: Type.Literal("events"),
    events: Type.Array(TraceEventRef, { minItems: 1, description: "in seq order; each seq once per connection" }),
  },
  { additionalProperties: false, description: "A batch of trace events: a page of the replay, or what a command caused." },
);

export const LaggedMessage = Type.Object(
  {
    type: Type.Literal("lagged"),
    lastSeq: Type.Integer({ minimum: -1, description: "every matching event up to this seq was sent before this message; -1 when none" }),
    message: Type.String(),
  },
  { additionalProperties: false, description: "The client fell too far behind; the server closes the socket with code 4008 next. Reconnect with fromSeq = lastSeq + 1." },
);

export const ErrorMessage = Type.Object(
  {
    type: Type.Literal("error"),
    error: Type.Object({ code: Type.String({ description: "stable UPPER_SNAKE code" }), message: Type.String() }, { additionalProperties: false }),
  },
  { additionalProperties: false, description: "A message the server could not act on (the socket stays open), or a failure (the socket closes with 1011)." },
);

export const ServerMessage = Type.Union([HelloMessage, EventsMessage, LaggedMessage, ErrorMessage], { description: "a message from the server" });
export type ServerMessage = Static<typeof ServerMessage>;

// The stream module builds the lagged and error messages and takes the filter: both sides must agree (checked by tsc).
const filterFits = (f: Static<typeof TraceFilterSchema>): StreamFilter => f;
const laggedFits = [(m: Static<typeof LaggedMessage>): StreamLaggedMessage => m, (m: StreamLaggedMessage): Static<typeof LaggedMessage> => m];
const errorFits = [(m: Static<typeof ErrorMessage>): StreamErrorMessage => m, (m: StreamErrorMessage): Static<typeof ErrorMessage> => m];
void filterFits;
void laggedFits;
void errorFits;

export const TRACE_STREAM_SCHEMA_ID = "https://cnlab.dev/schemas/trace-stream.json";

/** The published document: both directions under $defs; events refer to the trace-event schema. */
export const TraceStreamSchemaDocument = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: TRACE_STREAM_SCHEMA_ID,
  title: "cnlab trace stream messages",
  description: "Messages on GET /api/sessions/{id}/trace (WebSocket, one JSON text frame per message). Trace events follow " + TRACE_EVENT_SCHEMA_ID + " (docs/trace-event.schema.json).",
  $defs: { ClientMessage, ServerMessage },
};

// HTTP side of the route.

export const SessionParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64, description: "session id" }) });

export const TokenQuery = Type.Object(
  { access_token: Type.Optional(Type.String({ maxLength: 512, description: "the bearer token, for WebSocket clients that cannot set headers" })) },
  { additionalProperties: false },
);

export const traceRouteSchema = {
  tags: ["sessions"],
  summary: "The session's trace as a WebSocket stream (see docs/trace-stream.md); answers 426 without an upgrade",
  params: SessionParams,
  querystring: TokenQuery,
  response: { 401: ErrorResponse, 403: ErrorResponse, 404: ErrorResponse, 426: ErrorResponse, 429: ErrorResponse },
};
