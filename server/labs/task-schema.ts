/**
 * The graded part of a lab file: tasks for the student, each with checks the
 * grader evaluates against a session, and the lab's reference solution.
 * docs/grading.md explains every check kind for authors; this file is the rule
 * the loader enforces. What a schema cannot say (task ids unique, dependsOn
 * pointing back, regular expressions that compile, hosts that exist) is
 * checked in check-tasks.ts.
 *
 * A check is a discriminated union on `kind`. Fields that match text take a
 * Matcher: an exact string, or a regular expression written between slashes.
 */
import { Type, type Static, type TSchema } from "typebox";
import { Ipv4Address, TRACE_EVENT_KINDS } from "../engine/index.js";

export const TASK_ID_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$";

const Text = Type.String({ minLength: 1, maxLength: 20_000 });
const Localized = Type.Object({ en: Text, zh: Text }, { additionalProperties: false, description: "a text for students in English and Chinese" });
const LocalizedTitle = Type.Object(
  { en: Type.String({ minLength: 1, maxLength: 120 }), zh: Type.String({ minLength: 1, maxLength: 120 }) },
  { additionalProperties: false },
);

const Name = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", description: "a host or namespace name" });
const TaskId = Type.String({ pattern: TASK_ID_PATTERN, maxLength: 64, description: "a task id (lower-case words joined by -)" });

/** "/…/" (optionally "/…/i") is a regular expression, searched for; anything else is compared exactly. */
export const Matcher = Type.String({ minLength: 1, maxLength: 500, description: 'an exact string, or a regular expression written as "/…/"' });

/** Fields every check has. */
const common = {
  /** Shown to the student while the check fails. It must help without giving the expected value away. */
  feedback: Localized,
  /** Inverts the check: it passes when nothing matches (a route that must be gone, an address that must not answer). */
  absent: Type.Optional(Type.Literal(true, { description: "true: the check passes when nothing matches" })),
};

/** Where in a session's network a state check looks: a host and one of its namespaces ("root" when omitted). */
const place = { host: Name, namespace: Type.Optional(Name) };

function check<K extends string, P extends Record<string, TSchema>>(kind: K, fields: P, description: string) {
  return Type.Object({ ...fields, ...common, kind: Type.Literal(kind) }, { additionalProperties: false, description });
}

export const ReachableCheck = check(
  "reachable",
  {
    ...place,
    to: Ipv4Address,
    /** A TCP port: the probe is an HTTP request to it; without one, a ping. */
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  },
  "a reachable check {host, namespace?, to, port?}",
);

export const RouteCheck = check(
  "route",
  {
    ...place,
    /** The route as `ip route` prints it. */
    text: Type.Optional(Matcher),
    /** Destination with its prefix ("10.244.2.0/24"); "default" for 0.0.0.0/0. */
    dst: Type.Optional(Matcher),
    via: Type.Optional(Matcher),
    dev: Type.Optional(Matcher),
    table: Type.Optional(Matcher),
  },
  "a route check {host, namespace?, text?, dst?, via?, dev?, table?}",
);

export const NeighbourCheck = check(
  "neighbour",
  { ...place, ip: Type.Optional(Matcher), mac: Type.Optional(Matcher), state: Type.Optional(Matcher), dev: Type.Optional(Matcher) },
  "a neighbour check {host, namespace?, ip?, mac?, state?, dev?}",
);

export const FdbCheck = check(
  "fdb",
  { ...place, bridge: Matcher, mac: Type.Optional(Matcher), port: Type.Optional(Matcher), local: Type.Optional(Type.Boolean()) },
  "an fdb check {host, namespace?, bridge, mac?, port?, local?}",
);

export const AddressCheck = check(
  "address",
  { ...place, device: Type.Optional(Matcher), cidr: Matcher },
  "an address check {host, namespace?, device?, cidr}",
);

export const LinkCheck = check(
  "link",
  {
    ...place,
    name: Matcher,
    up: Type.Optional(Type.Boolean()),
    master: Type.Optional(Matcher),
    mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535 })),
    /** The device type, as `ip link add … type X` names it: veth, bridge, vxlan, tun, ipip … */
    type: Type.Optional(Matcher),
  },
  "a link check {host, namespace?, name, up?, master?, mtu?, type?}",
);

export const NETFILTER_TABLES = ["nat", "filter", "mangle", "raw"] as const;

export const NatRuleCheck = check(
  "nat-rule",
  {
    ...place,
    table: Type.Optional(Type.Enum(NETFILTER_TABLES, { description: "the iptables table (default nat)" })),
    chain: Type.Optional(Matcher),
    /** The rule spec as `iptables -S` prints it after `-A CHAIN`: a plain string is a substring, "/…/" a regular expression. */
    rule: Matcher,
  },
  "a nat-rule check {host, namespace?, table?, chain?, rule}",
);

export const SocketCheck = check(
  "socket",
  {
    ...place,
    proto: Type.Optional(Type.Enum(["tcp", "udp"] as const)),
    state: Type.Optional(Matcher),
    local: Type.Optional(Matcher),
    remote: Type.Optional(Matcher),
  },
  "a socket check {host, namespace?, proto?, state?, local?, remote?}",
);

export const CommandRanCheck = check(
  "command-ran",
  {
    host: Type.Optional(Name),
    namespace: Type.Optional(Name),
    /** A plain string is compared with the command as typed, spaces collapsed. */
    command: Matcher,
    exitCode: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
  },
  "a command-ran check {host?, namespace?, command, exitCode?}",
);

/** An event's own fields (bridge, egress, tunnel, reason …): exact values, or matchers for text. */
const EventFieldValue = Type.Union([Matcher, Type.Number(), Type.Boolean()], { description: "a matcher, a number or true/false" });

export const TraceSeenCheck = check(
  "trace-seen",
  {
    event: Type.Enum(TRACE_EVENT_KINDS, { description: "a trace-event kind (docs/trace-events.md)" }),
    host: Type.Optional(Name),
    namespace: Type.Optional(Name),
    device: Type.Optional(Matcher),
    summary: Type.Optional(Matcher),
    fields: Type.Optional(Type.Record(Type.String({ pattern: "^[a-zA-Z]+$" }), EventFieldValue)),
  },
  "a trace-seen check {event, host?, namespace?, device?, summary?, fields?}",
);

export const OutputAnswerCheck = Type.Object(
  {
    kind: Type.Literal("output-answer"),
    /** Compared with the student's latest answer to the task, trimmed and ignoring case. */
    answer: Matcher,
    feedback: Localized,
  },
  { additionalProperties: false, description: "an output-answer check {answer}" },
);

export const GradingCheck = Type.Union(
  [
    ReachableCheck,
    RouteCheck,
    NeighbourCheck,
    FdbCheck,
    AddressCheck,
    LinkCheck,
    NatRuleCheck,
    SocketCheck,
    CommandRanCheck,
    TraceSeenCheck,
    OutputAnswerCheck,
  ],
  { description: "a check (docs/grading.md)" },
);

export const CHECK_KINDS = [
  "reachable",
  "route",
  "neighbour",
  "fdb",
  "address",
  "link",
  "nat-rule",
  "socket",
  "command-ran",
  "trace-seen",
  "output-answer",
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

export const LabTask = Type.Object(
  {
    id: TaskId,
    title: LocalizedTitle,
    /** What to do, for the student. */
    text: Type.Optional(Localized),
    points: Type.Integer({ minimum: 0, maximum: 1000 }),
    hints: Type.Optional(Type.Array(Localized, { maxItems: 10 })),
    /** Tasks that must pass before this one is graded (earlier tasks only). */
    dependsOn: Type.Optional(Type.Array(TaskId, { maxItems: 20, uniqueItems: true })),
    checks: Type.Array(GradingCheck, { minItems: 1, maxItems: 32 }),
  },
  { additionalProperties: false },
);

export const SolutionCommand = Type.Object(
  { host: Name, namespace: Type.Optional(Name), command: Type.String({ minLength: 1, maxLength: 500 }) },
  { additionalProperties: false, description: "a command step {host, namespace?, command}" },
);

export const SolutionAnswer = Type.Object(
  {
    answer: Type.Object({ task: TaskId, value: Type.String({ minLength: 1, maxLength: 500 }) }, { additionalProperties: false }),
  },
  { additionalProperties: false, description: "an answer {answer: {task, value}}" },
);

/** The reference solution: commands in order, and the answers to the output-answer tasks. */
export const LabSolution = Type.Array(Type.Union([SolutionCommand, SolutionAnswer]), { maxItems: 200 });

export type Matcher = Static<typeof Matcher>;
export type GradingCheck = Static<typeof GradingCheck>;
export type LabTask = Static<typeof LabTask>;
export type SolutionStep = Static<typeof LabSolution>[number];
export type SolutionCommand = Static<typeof SolutionCommand>;
export type SolutionAnswer = Static<typeof SolutionAnswer>;

export function isSolutionAnswer(step: SolutionStep): step is SolutionAnswer {
  return "answer" in step;
}

/** The check kinds that look at the session's network (a replayed copy of it). */
export type StateCheck = Extract<GradingCheck, { kind: "reachable" | "route" | "neighbour" | "fdb" | "address" | "link" | "nat-rule" | "socket" }>;
