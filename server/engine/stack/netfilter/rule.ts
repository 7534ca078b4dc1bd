/**
 * One iptables rule: what it matches (protocol, addresses, interfaces, ports,
 * conntrack state, destination address type) and its target, with its packet
 * and byte counters. Parsing from and printing to iptables' syntax live in
 * commands/iptables-syntax.ts; matching lives here so the datapath and the
 * printer agree on one representation.
 */
import { prefixMask } from "../../wire/ipv4-address.js";
import { l4Protocol, type Ipv4Payload } from "../../link/payload.js";

export interface AddressMatch {
  address: number;
  prefixLength: number;
  invert: boolean;
}

export interface InterfaceMatch {
  name: string;
  invert: boolean;
}

export type CtState = "NEW" | "ESTABLISHED" | "RELATED";

export type RuleTarget =
  | { kind: "ACCEPT" }
  | { kind: "DROP" }
  | { kind: "RETURN" }
  | { kind: "MASQUERADE" }
  | { kind: "DNAT"; address: number; port: number | null }
  | { kind: "SNAT"; address: number; port: number | null }
  | { kind: "jump"; chain: string };

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
  /** -m addrtype --dst-type LOCAL */
  dstTypeLocal: boolean;
  target: RuleTarget;
  packets: number;
  bytes: number;
}

/** What a rule can look at: the packet, its interfaces, its conntrack state, whether its destination is local. */
export interface PacketView {
  p: Ipv4Payload;
  inDevice: string | null;
  outDevice: string | null;
  ctState: CtState;
  dstIsLocal: boolean;
  length: number;
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
  return true;
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
    target,
    packets: 0,
    bytes: 0,
  };
}

/** Rules are the same when everything but their counters is (what `iptables -D` with a rule spec looks for). */
export function sameRule(a: Rule, b: Rule): boolean {
  const strip = (r: Rule) => JSON.stringify({ ...r, packets: 0, bytes: 0 });
  return strip(a) === strip(b);
}
