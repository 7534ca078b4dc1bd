/**
 * One check against one session's evidence: did the thing it describes turn
 * up? The answer is "found", "not found", or "missing" when the check names a
 * host or namespace the session does not have. grade-session.ts turns that
 * into passed or failed (`absent` inverts "found"; "missing" always fails).
 *
 * trace-seen checks are not evaluated here one by one: the grader asks the
 * evidence about all of them at once (selectorOf) and passes the result in.
 */
import { assertNever, type EventSelector, type NamespaceState, type NetworkState, ROOT_NAMESPACE } from "../engine/index.js";
import { matchAnswer, matcherRegex, matchText, normalizeCommand } from "../labs/matcher.js";
import type { GradingCheck } from "../labs/task-schema.js";
import type { LoggedCommand, SessionEvidence } from "./session-evidence.js";

export type CheckFinding = "found" | "not-found" | "missing";

type Check<K extends GradingCheck["kind"]> = Extract<GradingCheck, { kind: K }>;

export interface CheckInputs {
  evidence: SessionEvidence;
  /** The student's latest answer to this check's task, if any. */
  answer: string | undefined;
  /** For a trace-seen check: whether the trace scan found a matching event. */
  traceSeen: boolean;
}

/** How long a probe waits for an answer, in (virtual) seconds. */
const PROBE_TIMEOUT_SECONDS = 1;

export async function evaluateCheck(check: GradingCheck, inputs: CheckInputs): Promise<CheckFinding> {
  const { evidence } = inputs;
  switch (check.kind) {
    case "reachable": {
      const command =
        check.port === undefined
          ? `ping -c 1 -W ${PROBE_TIMEOUT_SECONDS} ${check.to}`
          : `curl --connect-timeout ${PROBE_TIMEOUT_SECONDS} http://${check.to}:${check.port}/`;
      const result = await evidence.probe(check.host, namespaceOf(check), command);
      if (result === null) return "missing";
      return found(result.exitCode === 0);
    }
    case "nat-rule": {
      const result = await evidence.probe(check.host, namespaceOf(check), `iptables -t ${check.table ?? "nat"} -S`);
      if (result === null) return "missing";
      return found(result.exitCode === 0 && natRuleListed(check, result.output));
    }
    case "route":
    case "neighbour":
    case "fdb":
    case "address":
    case "link":
    case "socket": {
      const namespace = namespaceState(await evidence.state(), check.host, namespaceOf(check));
      if (namespace === undefined) return "missing";
      return found(stateHas(check, namespace));
    }
    case "command-ran":
      return found((await evidence.commands()).some((command) => commandMatches(check, command)));
    case "trace-seen":
      return found(inputs.traceSeen);
    case "output-answer":
      return found(inputs.answer !== undefined && matchAnswer(check.answer, inputs.answer));
    default:
      return assertNever(check);
  }
}

/** Does this event satisfy the trace-seen check? */
/** What a trace-seen check looks for, as the engine's event selector. */
export function selectorOf(check: Check<"trace-seen">): EventSelector {
  return { kind: check.event, host: check.host, namespace: check.namespace, device: check.device, summary: check.summary, fields: check.fields };
}

function found(yes: boolean): CheckFinding {
  return yes ? "found" : "not-found";
}

function namespaceOf(check: { namespace?: string | undefined }): string {
  return check.namespace ?? ROOT_NAMESPACE;
}

function namespaceState(state: NetworkState, host: string, namespace: string): NamespaceState | undefined {
  return state.hosts.find((h) => h.name === host)?.namespaces.find((ns) => ns.name === namespace);
}

/** Optional matchers: an absent one matches anything. */
function all(...conditions: Array<[matcher: string | undefined, value: string | null | undefined]>): boolean {
  return conditions.every(([matcher, value]) => matcher === undefined || matchText(matcher, value));
}

function stateHas(check: Check<"route" | "neighbour" | "fdb" | "address" | "link" | "socket">, ns: NamespaceState): boolean {
  switch (check.kind) {
    case "route":
      return ns.routes.some((route) =>
        all([check.text, route.text.trim()], [check.dst === "default" ? "0.0.0.0/0" : check.dst, route.dst], [check.via, route.via], [check.dev, route.dev], [check.table, route.table]),
      );
    case "neighbour":
      return ns.neighbours.some((entry) => all([check.ip, entry.ip], [check.mac, entry.mac], [check.state, entry.state], [check.dev, entry.dev]));
    case "fdb":
      return ns.bridges.some(
        (bridge) =>
          matchText(check.bridge, bridge.name) &&
          bridge.fdb.some((entry) => all([check.mac, entry.mac], [check.port, entry.port]) && (check.local === undefined || entry.local === check.local)),
      );
    case "address":
      return ns.interfaces.some((device) => all([check.device, device.name]) && device.addresses.some((cidr) => matchText(check.cidr, cidr)));
    case "link":
      return ns.interfaces.some(
        (device) =>
          matchText(check.name, device.name) &&
          all([check.master, device.master], [check.type, device.kind]) &&
          (check.up === undefined || device.up === check.up) &&
          (check.mtu === undefined || device.mtu === check.mtu),
      );
    case "socket":
      return ns.sockets.some(
        (socket) => (check.proto === undefined || socket.proto === check.proto) && all([check.state, socket.state], [check.local, socket.local], [check.remote, socket.remote]),
      );
    default:
      return assertNever(check);
  }
}

/** `iptables -S` lines: "-A CHAIN rule-spec". The rule matches the spec; a plain string is a substring of it. */
function natRuleListed(check: Check<"nat-rule">, listing: string): boolean {
  for (const line of listing.split("\n")) {
    const rule = /^-A (\S+) (.*)$/.exec(line.trim());
    if (rule === null) continue;
    if (check.chain !== undefined && !matchText(check.chain, rule[1])) continue;
    if (matchText(check.rule, rule[2], "substring")) return true;
  }
  return false;
}

function commandMatches(check: Check<"command-ran">, command: LoggedCommand): boolean {
  if (check.host !== undefined && command.host !== check.host) return false;
  if (check.namespace !== undefined && (command.namespace ?? ROOT_NAMESPACE) !== check.namespace) return false;
  if (check.exitCode !== undefined && command.exitCode !== check.exitCode) return false;
  const regex = matcherRegex(check.command);
  return regex !== null ? regex.test(command.command.trim()) : normalizeCommand(command.command) === normalizeCommand(check.command);
}
