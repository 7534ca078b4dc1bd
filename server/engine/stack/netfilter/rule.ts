/**
 * One iptables rule: what it matches (protocol, addresses, interfaces, ports,
 * conntrack state, address types, and the extension matches kube-proxy and
 * policy controllers use: comment, mark, statistic, recent, set, physdev) and its target,
 * with its packet and byte counters. Parsing lives in commands/iptables.ts and
 * printing in rule-text.ts; matching lives here so the datapath and the
 * printer agree on one representation.
 *
 * The extension matches are kept in the order they were given, because
 * iptables prints them in that order (`-m comment … -m tcp --dport 80` and
 * `-m tcp --dport 80 -m comment …` are printed back as written). Rules made
 * by code without `matches` markers print ports, conntrack state and
 * addrtype first, as before.
 */
import { prefixMask } from "../../wire/ipv4-address.js";
import { l4Protocol, type Ipv4Payload } from "../../link/payload.js";
import type { IpSets } from "./ipsets.js";
import { ruleSpec } from "./rule-text.js";

export interface AddressMatch {
  address: number;
  prefixLength: number;
  invert: boolean;
}

export interface InterfaceMatch {
  name: string;
  invert: boolean;
}

export type CtState = "NEW" | "ESTABLISHED" | "RELATED" | "INVALID";

/** xt_recent's commands: remember the source (set), ask whether it was seen (rcheck), both (update), forget it (remove). */
export type RecentCommand = "set" | "rcheck" | "update" | "remove";

/**
 * An extension match, in the order written. `l4` and `ctstate` only mark where
 * the rule's port and conntrack-state matches (held in the Rule's own fields)
 * were written.
 */
export type RuleMatch =
  | { kind: "l4" }
  | { kind: "ctstate" }
  | { kind: "comment"; text: string }
  /** -m addrtype [!] --src-type LOCAL / [!] --dst-type LOCAL: the only address type simulated. */
  | { kind: "addrtype"; side: "src" | "dst"; invert: boolean }
  /** -m mark [!] --mark value[/mask]: (skb mark & mask) == value. */
  | { kind: "mark"; value: number; mask: number; maskGiven: boolean; invert: boolean }
  /** -m statistic --mode random --probability p, p kept as the kernel does: a 31-bit threshold. */
  | { kind: "statistic"; threshold: number; invert: boolean }
  /** -m recent --name N --set | --rcheck [--seconds s] [--reap], on the source address (--rsource). */
  | { kind: "recent"; command: RecentCommand; name: string; seconds: number | null; reap: boolean; invert: boolean }
  /** -m set [!] --match-set NAME src|dst[,…]: the packet's address on that side is in the ip set (one flag per dimension; hash:ip has one). */
  | { kind: "set"; name: string; flags: ("src" | "dst")[]; invert: boolean }
  /** -m physdev [!] --physdev-is-bridged: the packet is being bridged between two ports (br_netfilter), not routed. */
  | { kind: "physdev"; invert: boolean }
  /** -p icmp [-m icmp] [!] --icmp-type type[/code]. */
  | { kind: "icmp-type"; type: number; code: number | null; invert: boolean };

export type RuleTarget =
  | { kind: "ACCEPT" }
  | { kind: "DROP" }
  | { kind: "RETURN" }
  | { kind: "MASQUERADE"; randomFully?: boolean }
  /** MARK --set-xmark value/mask (every other spelling of MARK is one of these): mark = (mark & ~mask) ^ value. Does not end the chain. */
  | { kind: "MARK"; value: number; mask: number }
  /** REJECT --reject-with icmp-port-unreachable, the default and the only one simulated. */
  | { kind: "REJECT" }
  | { kind: "DNAT"; address: number; port: number | null }
  | { kind: "SNAT"; address: number; port: number | null }
  | { kind: "jump"; chain: string }
  /** No -j: the rule only counts (and runs its matches, such as recent --set). */
  | { kind: "none" };

export interface Rule {
  /** 0: any; 1 icmp, 6 tcp, 17 udp. */
  protocol: number;
  protocolInvert: boolean;
  source: AddressMatch | null;
  destination: AddressMatch | null;
  inInterface: InterfaceMatch | null;
  outInterface: InterfaceMatch | null;
  dport: number | null;
  sport: number | null;
  ctstate: CtState[] | null;
  /** -m addrtype --dst-type LOCAL, as code that builds rules sets it (the iptables command writes an addrtype match instead). */
  dstTypeLocal: boolean;
  /** Extension matches in the order written (see above). */
  matches: RuleMatch[];
  target: RuleTarget;
  packets: number;
  bytes: number;
}

/** The kernel state some matches read or change: the clock, the namespace's randomness, xt_recent's lists. */
export interface MatchEnv {
  /** Virtual µs. */
  now: number;
  /** A uniformly distributed 32-bit unsigned integer (the session's seeded generator: get_random_u32). */
  random: () => number;
  recent: RecentLists;
  sets: IpSets;
}

/**
 * What a rule can look at: the packet, its interfaces, its conntrack state,
 * whether its addresses are local, its mark. The hooks may work out the
 * local addresses and the environment only when a rule reads them.
 */
export interface PacketView {
  readonly p: Ipv4Payload;
  readonly inDevice: string | null;
  readonly outDevice: string | null;
  readonly ctState: CtState;
  readonly dstIsLocal: boolean;
  readonly srcIsLocal: boolean;
  /** Whether a bridge is forwarding it between two of its ports (br_netfilter's FORWARD), which -m physdev sees. */
  readonly bridged: boolean;
  /** skb->mark: MARK targets change it as the packet walks the chains of one namespace. */
  mark: number;
  readonly length: number;
  readonly env: MatchEnv;
}

const SECOND = 1_000_000;

/**
 * xt_recent's tables of one namespace: per list name, the source addresses
 * seen and when (kube-proxy's ClientIP affinity: one list per endpoint).
 */
export class RecentLists {
  private readonly lists = new Map<string, Map<number, number[]>>();

  /** Applies one recent match to a source address; true when it matches. */
  apply(m: Extract<RuleMatch, { kind: "recent" }>, address: number, now: number): boolean {
    let list = this.lists.get(m.name);
    if (list === undefined) this.lists.set(m.name, (list = new Map()));
    const seen = list.get(address);
    const fresh = (t: number) => m.seconds === null || now - t <= m.seconds * SECOND;
    switch (m.command) {
      case "set":
        list.set(address, [...(seen ?? []), now].slice(-20));
        return true;
      case "remove":
        list.delete(address);
        return seen !== undefined;
      case "rcheck":
      case "update": {
        if (seen === undefined) return false;
        // --reap drops the entries older than --seconds (the list keeps only what it can still match).
        const kept = m.reap ? seen.filter(fresh) : seen;
        if (kept.length === 0) {
          list.delete(address);
          return false;
        }
        if (m.reap) list.set(address, kept);
        const hit = kept.some(fresh);
        if (hit && m.command === "update") list.set(address, [...kept, now].slice(-20));
        return hit;
      }
    }
  }

  /** The addresses a list holds, with their last time seen (µs), for /proc/net/xt_recent. */
  entries(name: string): [number, number][] {
    return [...(this.lists.get(name) ?? new Map<number, number[]>()).entries()].map(([a, t]) => [a, t[t.length - 1]!]);
  }
}

function addressMatches(m: AddressMatch | null, address: number): boolean {
  if (m === null) return true;
  const inside = ((address & prefixMask(m.prefixLength)) >>> 0) === ((m.address & prefixMask(m.prefixLength)) >>> 0);
  return inside !== m.invert;
}

function interfaceMatches(m: InterfaceMatch | null, name: string | null): boolean {
  if (m === null) return true;
  // iptables' "eth+" wildcard matches any interface starting with "eth".
  const equal = name !== null && (m.name.endsWith("+") ? name.startsWith(m.name.slice(0, -1)) : name === m.name);
  return equal !== m.invert;
}

function ports(p: Ipv4Payload): { sport: number; dport: number } | null {
  const l4 = p.l4;
  return l4.kind === "tcp" || l4.kind === "udp" ? { sport: l4.srcPort, dport: l4.dstPort } : null;
}

export function protocolOf(p: Ipv4Payload): number {
  return l4Protocol(p.l4);
}

export function ruleMatches(r: Rule, v: PacketView): boolean {
  if (r.protocol !== 0 && (protocolOf(v.p) === r.protocol) === r.protocolInvert) return false;
  if (!addressMatches(r.source, v.p.src) || !addressMatches(r.destination, v.p.dst)) return false;
  if (!interfaceMatches(r.inInterface, v.inDevice) || !interfaceMatches(r.outInterface, v.outDevice)) return false;
  if (r.dport !== null || r.sport !== null) {
    const pp = ports(v.p);
    if (pp === null) return false;
    if (r.dport !== null && pp.dport !== r.dport) return false;
    if (r.sport !== null && pp.sport !== r.sport) return false;
  }
  if (r.ctstate !== null && !r.ctstate.includes(v.ctState)) return false;
  if (r.dstTypeLocal && !v.dstIsLocal) return false;
  for (const m of r.matches) if (!extensionMatches(m, v)) return false;
  return true;
}

/** An extension match, in its order: recent --set changes its list only when the matches before it matched, as in the kernel. */
function extensionMatches(m: RuleMatch, v: PacketView): boolean {
  switch (m.kind) {
    case "l4":
    case "ctstate":
    case "comment":
      return true;
    case "addrtype":
      return (m.side === "src" ? v.srcIsLocal : v.dstIsLocal) !== m.invert;
    case "mark":
      return (((v.mark & m.mask) >>> 0) === m.value) !== m.invert;
    case "statistic":
      // xt_statistic: (get_random_u32() & 0x7FFFFFFF) < probability.
      return ((v.env.random() & 0x7fffffff) >>> 0 < m.threshold) !== m.invert;
    case "recent":
      return v.env.recent.apply(m, v.p.src, v.env.now) !== m.invert;
    case "set": {
      // hash:ip has one dimension: the first flag names the address it is looked up with.
      const address = m.flags[0] === "dst" ? v.p.dst : v.p.src;
      return v.env.sets.test(m.name, address) !== m.invert;
    }
    case "physdev":
      return v.bridged !== m.invert;
    case "icmp-type": {
      const l4 = v.p.l4;
      const [type, code] = l4.kind === "icmp-echo" ? [l4.type === "request" ? 8 : 0, 0] : l4.kind === "icmp-error" ? [l4.type, l4.code] : [-1, -1];
      return (type === m.type && (m.code === null || code === m.code)) !== m.invert;
    }
  }
}

/** The threshold the kernel keeps for a probability (iptables: lround(0x80000000 * p)). */
export function statisticThreshold(probability: number): number {
  return Math.round(0x80000000 * probability);
}

/** A MARK target's effect on a mark. */
export function applyMark(mark: number, t: { value: number; mask: number }): number {
  return ((mark & ~t.mask) ^ t.value) >>> 0;
}

export function emptyRule(target: RuleTarget): Rule {
  return {
    protocol: 0,
    protocolInvert: false,
    source: null,
    destination: null,
    inInterface: null,
    outInterface: null,
    dport: null,
    sport: null,
    ctstate: null,
    dstTypeLocal: false,
    matches: [],
    target,
    packets: 0,
    bytes: 0,
  };
}

/**
 * Rules are the same when iptables would print them the same (what `iptables -D`
 * with a rule spec looks for): a rule typed at the prompt equals the one a
 * daemon built in code.
 */
export function sameRule(a: Rule, b: Rule): boolean {
  return ruleSpec("X", a) === ruleSpec("X", b);
}
