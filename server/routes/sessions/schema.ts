/**
 * Request and response schemas of the session REST routes. The state schema
 * mirrors the engine's NetworkState; the compile-time checks at the bottom
 * fail tsc when the two drift apart, so the API cannot silently drop a field.
 */
import { Type, type Static } from "typebox";
import { INTERRUPT_REASONS, TRACE_EVENT_KINDS, TraceEventSchema, type NetworkState } from "../../engine/index.js";
import { ErrorResponse } from "../../http/error-response.js";
import { LAB_ID_PATTERN } from "../../labs/lab-schema.js";

export const MAX_COMMAND_LENGTH = 1000;

const UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
const Name = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$" });
const LabId = Type.String({ pattern: LAB_ID_PATTERN, maxLength: 64, description: "lab id, e.g. bridge-two-containers" });
const Timestamp = Type.String({ format: "date-time" });

export const SessionParams = Type.Object({ id: Type.String({ pattern: UUID, description: "session id (a UUID)" }) });

export const SessionView = Type.Object({
  id: Type.String(),
  labId: Type.String(),
  owner: Type.Object({ id: Type.String(), name: Type.String() }),
  seed: Type.Integer({ description: "the simulator's seed, fixed for the session" }),
  startTime: Type.Integer({ description: "virtual start time, µs" }),
  commandCount: Type.Integer({ description: "commands in the log" }),
  nextSeq: Type.Integer({ description: "trace events stored so far (the seq the next one gets)" }),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastCommandAt: Type.Union([Timestamp, Type.Null()]),
  storedBytes: Type.Integer({ description: "bytes of command rows stored for the session (outputs and trace events)" }),
  archivedAt: Type.Union([Timestamp, Type.Null()], { description: "when an instructor archived the session (read-only from then on); null if not archived" }),
  live: Type.Boolean({ description: "whether its network is in memory now (else it is rebuilt from the log on next use)" }),
});
export type SessionView = Static<typeof SessionView>;

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ErrorResponse]));

export const createSessionSchema = {
  tags: ["sessions"],
  summary: "Start a session of a lab: its network is built and kept for the caller",
  body: Type.Object({ labId: LabId }, { additionalProperties: false }),
  response: { 201: SessionView, ...errors(400, 401, 404, 429) },
};

export const listSessionsSchema = {
  tags: ["sessions"],
  summary: "Sessions, newest first: the caller's own; an instructor sees everyone's",
  querystring: Type.Object(
    {
      labId: Type.Optional(LabId),
      ownerId: Type.Optional(Type.String({ maxLength: 64, description: "the owner's token id (instructors filter by student)" })),
      limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
      offset: Type.Integer({ minimum: 0, default: 0 }),
    },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ sessions: Type.Array(SessionView), total: Type.Integer() }), ...errors(400, 401) },
};

export const getSessionSchema = {
  tags: ["sessions"],
  summary: "One session",
  params: SessionParams,
  response: { 200: SessionView, ...errors(400, 401, 403, 404) },
};

export const deleteSessionSchema = {
  tags: ["sessions"],
  summary: "Delete a session and its log (a student: not an archived or graded one, 409)",
  params: SessionParams,
  response: { 204: Type.Null({ description: "deleted" }), ...errors(400, 401, 403, 404, 409) },
};

export const CommandBody = Type.Object(
  {
    host: Name,
    namespace: Type.Optional(Name),
    command: Type.String({ minLength: 1, maxLength: MAX_COMMAND_LENGTH, description: `the command line, at most ${MAX_COMMAND_LENGTH} characters` }),
  },
  { additionalProperties: false },
);

const EventRange = Type.Object(
  { from: Type.Integer(), to: Type.Integer() },
  { description: "the seqs of the trace events the command caused: from ≤ seq < to" },
);

/** Why a limit stopped a command, and after how many of its steps (docs/sessions-api.md, "Limits"). */
export const Interruption = Type.Object({
  reason: Type.Enum(INTERRUPT_REASONS),
  afterSteps: Type.Integer({ description: "steps the command had run when it was stopped" }),
  limit: Type.Integer({ description: "the limit reached: trace events, bytes of output, or milliseconds" }),
});

export const runCommandSchema = {
  tags: ["sessions"],
  summary: "Run a command on a host (and namespace) of the session; answered once it is logged",
  params: SessionParams,
  body: CommandBody,
  response: {
    200: Type.Object({
      index: Type.Integer({ description: "its place in the log, from 0" }),
      output: Type.String(),
      exitCode: Type.Integer(),
      events: EventRange,
      at: Type.Integer({ description: "virtual time it was typed at, µs" }),
      time: Type.Integer({ description: "virtual time the network settled after it, µs" }),
      interruption: Type.Union([Interruption, Type.Null()], { description: "set when a limit stopped the command before its end; null when it ran to its end" }),
    }),
    ...errors(400, 401, 403, 404, 409, 429, 500, 503),
  },
};

export const LoggedCommand = Type.Object({
  index: Type.Integer(),
  host: Type.String(),
  namespace: Type.Union([Type.String(), Type.Null()], { description: "null: the host's root namespace" }),
  command: Type.String(),
  output: Type.String(),
  exitCode: Type.Integer(),
  at: Type.Integer({ description: "virtual time it was typed at, µs" }),
  events: EventRange,
  interruption: Type.Union([Interruption, Type.Null()], { description: "set when a limit stopped the command before its end" }),
  createdAt: Timestamp,
});

export const listCommandsSchema = {
  tags: ["sessions"],
  summary: "The session's command log, in order",
  params: SessionParams,
  querystring: Type.Object(
    {
      from: Type.Integer({ minimum: 0, default: 0, description: "first command index" }),
      limit: Type.Integer({ minimum: 1, maximum: 1000, default: 100 }),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({
      commands: Type.Array(LoggedCommand),
      total: Type.Integer({ description: "commands in the log" }),
      next: Type.Integer({ description: "the `from` of the next page (= total at the end)" }),
    }),
    ...errors(400, 401, 403, 404),
  },
};

export const listEventsSchema = {
  tags: ["sessions"],
  summary: "The session's trace, paged by seq, optionally filtered",
  params: SessionParams,
  querystring: Type.Object(
    {
      from: Type.Integer({ minimum: 0, default: 0, description: "first seq to look at" }),
      limit: Type.Integer({ minimum: 1, maximum: 5000, default: 500 }),
      host: Type.Optional(Name),
      device: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9_.@:-]{1,15}$" })),
      kind: Type.Optional(Type.Enum(TRACE_EVENT_KINDS)),
    },
    { additionalProperties: false },
  ),
  response: {
    200: Type.Object({
      events: Type.Array(TraceEventSchema),
      next: Type.Integer({ description: "the `from` of the next page; equal to nextSeq once everything stored was read" }),
      nextSeq: Type.Integer({ description: "trace events stored in the session so far" }),
    }),
    ...errors(400, 401, 403, 404),
  },
};

// ── Network state ─────────────────────────────────────────────────────────

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

const InterfaceState = Type.Object({
  ifindex: Type.Integer(),
  name: Type.String(),
  kind: Type.String(),
  mac: Type.String(),
  mtu: Type.Integer(),
  up: Type.Boolean(),
  lowerUp: Type.Boolean(),
  master: Nullable(Type.String()),
  peer: Nullable(Type.Object({ namespace: Type.String(), name: Type.String() })),
  addresses: Type.Array(Type.String()),
  stats: Type.Object({ rxPackets: Type.Integer(), rxBytes: Type.Integer(), txPackets: Type.Integer(), txBytes: Type.Integer() }),
});

// Ports for TCP and UDP; for ICMP echo both are the echo id.
const FlowTuple = Type.Object({ src: Type.String(), dst: Type.String(), sport: Type.Integer(), dport: Type.Integer() });

const NamespaceState = Type.Object({
  name: Type.String(),
  forwarding: Type.Boolean(),
  interfaces: Type.Array(InterfaceState),
  routes: Type.Array(Type.Object({ table: Type.String(), text: Type.String(), dst: Type.String(), via: Nullable(Type.String()), dev: Type.String() })),
  neighbours: Type.Array(Type.Object({ ip: Type.String(), dev: Type.String(), mac: Nullable(Type.String()), state: Type.String() })),
  bridges: Type.Array(
    Type.Object({
      name: Type.String(),
      fdb: Type.Array(Type.Object({ mac: Type.String(), port: Type.String(), local: Type.Boolean(), ageSeconds: Type.Number() })),
    }),
  ),
  sockets: Type.Array(
    Type.Object({
      proto: Type.Union([Type.Literal("tcp"), Type.Literal("udp")]),
      state: Type.String(),
      local: Type.String(),
      remote: Nullable(Type.String()),
      process: Type.String(),
    }),
  ),
  conntrack: Type.Array(
    Type.Object({
      protocol: Type.String({ description: "icmp, tcp or udp" }),
      orig: FlowTuple,
      reply: FlowTuple,
      state: Nullable(Type.String({ description: "the TCP state; null for UDP and ICMP" })),
      seenReply: Type.Boolean(),
      assured: Type.Boolean(),
      secondsLeft: Type.Integer(),
      text: Type.String({ description: "the line conntrack -L prints" }),
    }),
    { description: "tracked flows, newest first" },
  ),
  iptables: Type.Array(
    Type.Object({
      table: Type.Union([Type.Literal("filter"), Type.Literal("nat")]),
      chain: Type.String(),
      policy: Nullable(
        Type.Object({ target: Type.Union([Type.Literal("ACCEPT"), Type.Literal("DROP")]), packets: Type.Integer(), bytes: Type.Integer() }, { description: "a built-in chain's policy and its counters; null for a user chain" }),
      ),
      rules: Type.Array(Type.Object({ spec: Type.String({ description: "as iptables -S writes it" }), packets: Type.Integer(), bytes: Type.Integer() })),
    }),
    { description: "the filter and nat tables' chains in iptables -L order" },
  ),
});

const KubeObjectRef = Type.Object({ namespace: Type.String(), name: Type.String() });

export const NetworkStateSchema = Type.Object({
  time: Type.Integer({ description: "virtual time now, µs" }),
  kubernetes: Nullable(
    Type.Object(
      {
        namespaces: Type.Array(Type.String()),
        pods: Type.Array(Type.Object({ namespace: Type.String(), name: Type.String(), node: Type.String(), netns: Type.String() })),
        services: Type.Array(KubeObjectRef),
        deployments: Type.Array(KubeObjectRef),
        networkPolicies: Type.Array(KubeObjectRef),
        cniFiles: Type.Array(Type.Object({ node: Type.String(), paths: Type.Array(Type.String()) }), { description: "per node with a CNI chain, the paths of its files (directories end in /)" }),
        dns: Type.Boolean({ description: "whether pods get the cluster's resolv.conf" }),
      },
      { description: "the cluster's objects by name, when the lab has one" },
    ),
  ),
  hosts: Type.Array(
    Type.Object({
      name: Type.String(),
      namespaces: Type.Array(NamespaceState),
      containers: Type.Array(
        Type.Object({
          id: Type.String(),
          name: Type.String(),
          image: Type.String(),
          network: Type.String(),
          namespace: Type.String(),
          running: Type.Boolean(),
          address: Nullable(Type.String()),
        }),
      ),
    }),
  ),
});

export const stateSchema = {
  tags: ["sessions"],
  summary: "The session's network now: per host and namespace, interfaces, addresses, routes, neighbours, bridge FDBs, sockets, conntrack entries, iptables chains with counters",
  params: SessionParams,
  response: { 200: NetworkStateSchema, ...errors(400, 401, 403, 404, 413, 429) },
};

// The schema and the engine's type must describe the same object, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const stateSchemaMatchesEngine: Same<Static<typeof NetworkStateSchema>, NetworkState> = true;
void stateSchemaMatchesEngine;
