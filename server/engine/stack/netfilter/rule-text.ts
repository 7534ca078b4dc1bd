/**
 * A rule as iptables writes it: the `-S` specification (also used in trace
 * events) and the columns of `-L`. Kept beside the rule so the datapath's
 * trace and the iptables command print the same text.
 */
import { formatIpv4 } from "../../wire/ipv4-address.js";
import type { AddressMatch, Rule, RuleTarget } from "./rule.js";

const PROTOCOL_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp" };

export function protocolName(p: number): string {
  return PROTOCOL_NAMES[p] ?? String(p);
}

function cidr(m: AddressMatch, withHostPrefix: boolean): string {
  const a = formatIpv4(m.address);
  return m.prefixLength === 32 && !withHostPrefix ? a : `${a}/${m.prefixLength}`;
}

export function targetName(t: RuleTarget): string {
  return t.kind === "jump" ? t.chain : t.kind;
}

function natTo(t: RuleTarget): string | null {
  if (t.kind !== "DNAT" && t.kind !== "SNAT") return null;
  return `${formatIpv4(t.address)}${t.port === null ? "" : `:${t.port}`}`;
}

/** `-A CHAIN …` as `iptables -S` prints it. */
const inv = (b: boolean): string => (b ? "! " : "");

export function ruleSpec(chain: string, r: Rule): string {
  const parts = [`-A ${chain}`];
  if (r.source) parts.push(`${inv(r.source.invert)}-s ${cidr(r.source, true)}`);
  if (r.destination) parts.push(`${inv(r.destination.invert)}-d ${cidr(r.destination, true)}`);
  if (r.inInterface) parts.push(`${inv(r.inInterface.invert)}-i ${r.inInterface.name}`);
  if (r.outInterface) parts.push(`${inv(r.outInterface.invert)}-o ${r.outInterface.name}`);
  if (r.protocol !== 0) parts.push(`${inv(r.protocolInvert)}-p ${protocolName(r.protocol)}`);
  if ((r.dport !== null || r.sport !== null) && (r.protocol === 6 || r.protocol === 17)) {
    const m = [`-m ${protocolName(r.protocol)}`];
    if (r.sport !== null) m.push(`--sport ${r.sport}`);
    if (r.dport !== null) m.push(`--dport ${r.dport}`);
    parts.push(m.join(" "));
  }
  if (r.ctstate !== null) parts.push(`-m conntrack --ctstate ${r.ctstate.join(",")}`);
  if (r.dstTypeLocal) parts.push("-m addrtype --dst-type LOCAL");
  parts.push(`-j ${targetName(r.target)}`);
  const to = natTo(r.target);
  if (to !== null) parts.push(`${r.target.kind === "DNAT" ? "--to-destination" : "--to-source"} ${to}`);
  return parts.join(" ");
}

export interface ListColumns {
  target: string;
  prot: string;
  opt: string;
  in: string;
  out: string;
  source: string;
  destination: string;
  extra: string;
}

/** The columns of `iptables -L` for one rule (numeric, as with -n). */
export function listColumns(r: Rule, numeric: boolean): ListColumns {
  const addr = (m: AddressMatch | null) => (m === null ? " 0.0.0.0/0" : `${m.invert ? "!" : " "}${cidr(m, false)}`);
  const iface = (m: Rule["inInterface"]) => (m === null ? (numeric ? "*" : "any") : `${m.invert ? "!" : ""}${m.name}`);
  const extras: string[] = [];
  if (r.protocol === 6 || r.protocol === 17) {
    const p = protocolName(r.protocol);
    if (r.sport !== null) extras.push(`${p} spt:${r.sport}`);
    if (r.dport !== null) extras.push(`${p} dpt:${r.dport}`);
  }
  if (r.ctstate !== null) extras.push(`ctstate ${r.ctstate.join(",")}`);
  if (r.dstTypeLocal) extras.push("ADDRTYPE match dst-type LOCAL");
  const to = natTo(r.target);
  if (to !== null) extras.push(`to:${to}`);
  return {
    target: targetName(r.target),
    prot: `${r.protocolInvert ? "!" : " "}${numeric ? String(r.protocol) : r.protocol === 0 ? "all" : protocolName(r.protocol)}`,
    opt: "--",
    in: iface(r.inInterface),
    out: iface(r.outInterface),
    source: addr(r.source),
    destination: addr(r.destination),
    extra: extras.map((e) => ` ${e}`).join(""),
  };
}
