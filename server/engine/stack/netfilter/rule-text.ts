/**
 * A rule as iptables writes it: the `-S` / iptables-save specification (also
 * used in trace events) and the columns of `-L`. Kept beside the rule so the
 * datapath's trace and the iptables commands print the same text. The shapes
 * are those iptables 1.8.9 (nf_tables) prints (test/fixtures/linux/k8s-*):
 * addresses and protocol first, then the matches in the order written, then
 * the target with its options; MARK always as `--set-xmark value/mask`.
 */
import { formatIpv4 } from "../../wire/ipv4-address.js";
import type { AddressMatch, Rule, RuleMatch, RuleTarget } from "./rule.js";

const PROTOCOL_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp" };

export function protocolName(p: number): string {
  return PROTOCOL_NAMES[p] ?? String(p);
}

function cidr(m: AddressMatch, withHostPrefix: boolean): string {
  const a = formatIpv4(m.address);
  return m.prefixLength === 32 && !withHostPrefix ? a : `${a}/${m.prefixLength}`;
}

/** The -L column of a rule's target; a rule without one (a match that only counts, or `recent --set`) shows nothing. */
export function targetName(t: RuleTarget): string {
  return t.kind === "jump" ? t.chain : t.kind;
}

function natTo(t: RuleTarget): string | null {
  if (t.kind !== "DNAT" && t.kind !== "SNAT") return null;
  return `${formatIpv4(t.address)}${t.port === null ? "" : `:${t.port}`}`;
}

const hex = (n: number) => `0x${(n >>> 0).toString(16)}`;
const inv = (b: boolean): string => (b ? "! " : "");

/** The probability iptables prints for a kernel threshold (%.11f of threshold / 2^31). */
export function statisticProbability(threshold: number): string {
  return (threshold / 0x80000000).toFixed(11);
}

/** xtables_save_string: a value of letters, digits, '_' and '-' as it is, anything else quoted with \ before " \ '. */
function saveString(s: string): string {
  if (/^[A-Za-z0-9_-]+$/.test(s)) return s;
  return `"${s.replace(/["\\']/g, (c) => `\\${c}`)}"`;
}

/** What the rule's port, conntrack and addrtype fields print, and whether a marker places them. */
function l4Spec(r: Rule): string {
  const m = [`-m ${protocolName(r.protocol)}`];
  if (r.sport !== null) m.push(`--sport ${r.sport}`);
  if (r.dport !== null) m.push(`--dport ${r.dport}`);
  return m.join(" ");
}

const hasPorts = (r: Rule) => (r.dport !== null || r.sport !== null) && (r.protocol === 6 || r.protocol === 17);

function matchSpec(r: Rule, m: RuleMatch): string {
  switch (m.kind) {
    case "l4":
      return l4Spec(r);
    case "ctstate":
      return `-m conntrack --ctstate ${(r.ctstate ?? []).join(",")}`;
    case "comment":
      return `-m comment --comment ${saveString(m.text)}`;
    case "addrtype":
      return `-m addrtype ${inv(m.invert)}--${m.side}-type LOCAL`;
    case "mark":
      return `-m mark ${inv(m.invert)}--mark ${hex(m.value)}${m.maskGiven ? `/${hex(m.mask)}` : ""}`;
    case "statistic":
      return `-m statistic --mode random ${inv(m.invert)}--probability ${statisticProbability(m.threshold)}`;
    case "recent": {
      const parts = [`-m recent ${inv(m.invert)}--${m.command}`];
      if (m.seconds !== null) parts.push(`--seconds ${m.seconds}`);
      if (m.reap) parts.push("--reap");
      parts.push(`--name ${m.name} --mask 255.255.255.255 --rsource`);
      return parts.join(" ");
    }
    case "set":
      return `-m set ${inv(m.invert)}--match-set ${m.name} ${m.flags.join(",")}`;
    case "physdev":
      return `-m physdev ${inv(m.invert)}--physdev-is-bridged`;
    case "icmp-type":
      return `-m icmp ${inv(m.invert)}--icmp-type ${m.type}${m.code === null ? "" : `/${m.code}`}`;
  }
}

function targetSpec(t: RuleTarget): string | null {
  switch (t.kind) {
    case "MARK":
      return `-j MARK --set-xmark ${hex(t.value)}/${hex(t.mask)}`;
    case "REJECT":
      return "-j REJECT --reject-with icmp-port-unreachable";
    case "MASQUERADE":
      return t.randomFully === true ? "-j MASQUERADE --random-fully" : "-j MASQUERADE";
    case "DNAT":
      return `-j DNAT --to-destination ${natTo(t)}`;
    case "SNAT":
      return `-j SNAT --to-source ${natTo(t)}`;
    case "none":
      return null;
    default:
      return `-j ${targetName(t)}`;
  }
}

/** The match parts of a rule in print order: fields without a marker first (the order code-built rules always had), then the written matches. */
function matchParts<T>(r: Rule, part: (m: RuleMatch) => T, legacyDstType: () => T): T[] {
  const out: T[] = [];
  const marked = (k: "l4" | "ctstate") => r.matches.some((m) => m.kind === k);
  if (hasPorts(r) && !marked("l4")) out.push(part({ kind: "l4" }));
  if (r.ctstate !== null && !marked("ctstate")) out.push(part({ kind: "ctstate" }));
  if (r.dstTypeLocal) out.push(legacyDstType());
  for (const m of r.matches) out.push(part(m));
  return out;
}

/** `-A CHAIN …` as `iptables -S` and iptables-save print it. */
export function ruleSpec(chain: string, r: Rule): string {
  const parts = [`-A ${chain}`];
  if (r.source) parts.push(`${inv(r.source.invert)}-s ${cidr(r.source, true)}`);
  if (r.destination) parts.push(`${inv(r.destination.invert)}-d ${cidr(r.destination, true)}`);
  if (r.inInterface) parts.push(`${inv(r.inInterface.invert)}-i ${r.inInterface.name}`);
  if (r.outInterface) parts.push(`${inv(r.outInterface.invert)}-o ${r.outInterface.name}`);
  if (r.protocol !== 0) parts.push(`${inv(r.protocolInvert)}-p ${protocolName(r.protocol)}`);
  parts.push(...matchParts(r, (m) => matchSpec(r, m), () => "-m addrtype --dst-type LOCAL"));
  const t = targetSpec(r.target);
  if (t !== null) parts.push(t);
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

function matchListText(r: Rule, m: RuleMatch): string {
  switch (m.kind) {
    case "l4": {
      const p = protocolName(r.protocol);
      const ports = [r.sport !== null ? `spt:${r.sport}` : null, r.dport !== null ? `dpt:${r.dport}` : null].filter((x) => x !== null);
      return [p, ...ports].join(" ");
    }
    case "ctstate":
      return `ctstate ${(r.ctstate ?? []).join(",")}`;
    case "comment":
      return `/* ${m.text} */`;
    case "addrtype":
      return `ADDRTYPE match ${m.side}-type ${m.invert ? "!" : ""}LOCAL`;
    case "mark":
      return `mark match ${m.invert ? "! " : ""}${hex(m.value)}${m.maskGiven ? `/${hex(m.mask)}` : ""}`;
    case "statistic":
      return `statistic mode random${m.invert ? " !" : ""} probability ${statisticProbability(m.threshold)}`;
    case "recent": {
      const word = { set: "SET", rcheck: "CHECK", update: "UPDATE", remove: "REMOVE" }[m.command];
      return `recent: ${m.invert ? "!" : ""}${word}${m.seconds !== null ? ` seconds: ${m.seconds}` : ""}${m.reap ? " reap" : ""} name: ${m.name} side: source mask: 255.255.255.255`;
    }
    case "set":
      return `${m.invert ? "! " : ""}match-set ${m.name} ${m.flags.join(",")}`;
    case "physdev":
      return `PHYSDEV match ${m.invert ? "! " : ""}--physdev-is-bridged`;
    case "icmp-type":
      return m.invert || m.code !== null ? `icmp ${m.invert ? "!" : ""}type ${m.type}${m.code === null ? "" : ` code ${m.code}`}` : `icmptype ${m.type}`;
  }
}

/** libxt_MARK's print: the common cases by name, the rest as xset. */
function markListText(t: { value: number; mask: number }): string {
  if (t.mask === t.value) return `MARK or ${hex(t.value)}`;
  if (t.mask === 0) return `MARK xor ${hex(t.value)}`;
  if (t.value === 0) return `MARK and ${hex(~t.mask)}`;
  if (t.mask === 0xffffffff) return `MARK set ${hex(t.value)}`;
  return `MARK xset ${hex(t.value)}/${hex(t.mask)}`;
}

/** The columns of `iptables -L` for one rule (numeric, as with -n). */
export function listColumns(r: Rule, numeric: boolean): ListColumns {
  const addr = (m: AddressMatch | null) => (m === null ? " 0.0.0.0/0" : `${m.invert ? "!" : " "}${cidr(m, false)}`);
  const iface = (m: Rule["inInterface"]) => (m === null ? (numeric ? "*" : "any") : `${m.invert ? "!" : ""}${m.name}`);
  const extras: string[] = [];
  const marked = r.matches.some((m) => m.kind === "l4");
  if (hasPorts(r) && !marked) {
    // Rules built in code without a marker keep the form they always printed.
    const p = protocolName(r.protocol);
    if (r.sport !== null) extras.push(`${p} spt:${r.sport}`);
    if (r.dport !== null) extras.push(`${p} dpt:${r.dport}`);
  }
  const rest = { ...r, dport: null, sport: null };
  extras.push(...matchParts(rest, (m) => matchListText(r, m), () => "ADDRTYPE match dst-type LOCAL"));
  const t = r.target;
  const to = natTo(t);
  if (to !== null) extras.push(`to:${to}`);
  if (t.kind === "MARK") extras.push(markListText(t));
  if (t.kind === "REJECT") extras.push("reject-with icmp-port-unreachable");
  if (t.kind === "MASQUERADE" && t.randomFully === true) extras.push("random-fully");
  return {
    target: t.kind === "none" ? "" : targetName(t),
    prot: `${r.protocolInvert ? "!" : " "}${numeric ? String(r.protocol) : r.protocol === 0 ? "all" : protocolName(r.protocol)}`,
    opt: "--",
    in: iface(r.inInterface),
    out: iface(r.outInterface),
    source: addr(r.source),
    destination: addr(r.destination),
    extra: extras.map((e) => ` ${e}`).join(""),
  };
}
