/**
 * The netfilter hooks of the IPv4 path, in the kernel's order:
 *   input:   PREROUTING (conntrack, nat) → routing → INPUT (filter) | FORWARD (filter) → POSTROUTING (nat)
 *   output:  OUTPUT (conntrack, nat, filter) → routing → POSTROUTING (nat)
 * A flow's first packet walks the nat chains and fixes its NAT; later packets
 * (both directions) are rewritten from the conntrack entry. Every rule hit,
 * rewrite and new flow is a trace event. Namespaces without rules skip all of
 * this, as a kernel without iptables modules does.
 */
import { l4Length, type Ipv4Payload } from "../../link/payload.js";
import { formatIpv4 } from "../../wire/ipv4-address.js";
import type { NetNamespace } from "../namespace.js";
import type { CtMatch, Tuple } from "./conntrack.js";
import { protocolOf, type CtState, type MatchEnv, type PacketView, type Rule } from "./rule.js";
import { protocolName, ruleSpec, targetName } from "./rule-text.js";
import type { OnHit, TableName } from "./tables.js";
import { dropPacket } from "../drop.js";
import { sendIcmpError } from "../icmp.js";

export interface HookContext {
  packetId: number;
  ct: CtMatch | null;
  /** Set by br_netfilter for a frame a bridge forwards between two of its ports (-m physdev --physdev-is-bridged). */
  bridged?: boolean;
  /** IPCB's frag_max_size: conntrack reassembled the datagram from fragments of up to this many bytes, and it leaves in pieces no larger. */
  fragMaxSize?: number;
  /** skb->mark while the packet is in this namespace (a packet that crosses into another namespace starts at 0, as skb_scrub_packet leaves it). */
  mark: number;
}

const endpoint = (ip: number, port: number | null) => (port === null ? formatIpv4(ip) : `${formatIpv4(ip)}:${port}`);

function portsOf(p: Ipv4Payload): { sport: number; dport: number } | null {
  return p.l4.kind === "tcp" || p.l4.kind === "udp" ? { sport: p.l4.srcPort, dport: p.l4.dstPort } : null;
}

/**
 * -m conntrack --ctstate as resolve_normal_ct sets ctinfo: a reply is ESTABLISHED; a packet of the
 * original direction is NEW until the flow has seen a reply (IPS_SEEN_REPLY), not only its first one:
 * glibc's A and AAAA queries leave one socket together, and both are NEW wherever they pass before
 * the first answer comes back.
 */
function ctStateOf(ct: CtMatch | null): CtState {
  if (ct === null) return "RELATED";
  return ct.direction === "orig" && !ct.entry.seenReply ? "NEW" : "ESTABLISHED";
}

/**
 * One traversal's view of the packet. Whether its addresses are local, and
 * the environment of the matches that need one (time, randomness, recent
 * lists, ip sets), are worked out when a rule first asks: most rules a
 * packet passes look at neither, and a hook runs for every packet.
 */
class HookView implements PacketView {
  readonly ctState: CtState;
  mark: number;
  readonly bridged: boolean;
  readonly length: number;
  private dstLocal: boolean | undefined;
  private srcLocal: boolean | undefined;
  private matchEnv: MatchEnv | undefined;

  constructor(
    private readonly ns: NetNamespace,
    readonly p: Ipv4Payload,
    readonly inDevice: string | null,
    readonly outDevice: string | null,
    hc: HookContext,
  ) {
    this.ctState = ctStateOf(hc.ct);
    this.mark = hc.mark;
    this.bridged = hc.bridged === true;
    this.length = 20 + l4Length(p.l4);
  }

  get dstIsLocal(): boolean {
    return (this.dstLocal ??= this.ns.isLocalAddress(this.p.dst));
  }

  get srcIsLocal(): boolean {
    return (this.srcLocal ??= this.ns.isLocalAddress(this.p.src));
  }

  get env(): MatchEnv {
    const ns = this.ns;
    return (this.matchEnv ??= { now: ns.ctx.scheduler.now, random: () => ns.ctx.random.nextUint32(), recent: ns.netfilter.recent, sets: ns.netfilter.ipsets });
  }
}

/** Walks a chain with the packet's mark, and keeps what MARK targets made of it. */
function traverse(ns: NetNamespace, table: TableName, chain: string, hc: HookContext, p: Ipv4Payload, inDevice: string | null, outDevice: string | null, device: string | null, onHit?: OnHit) {
  const v = new HookView(ns, p, inDevice, outDevice, hc);
  const verdict = ns.netfilter.traverse(table, chain, v, onHit ?? ((t, c, index, rule) => traceHit(ns, hc.packetId, device, t, c, index, rule)));
  hc.mark = v.mark;
  return verdict;
}

/** One netfilter event: a rule that decided, or the chain's policy when none did. */
function emitVerdict(ns: NetNamespace, packetId: number, device: string | null, table: TableName, chain: string, rule: string, target: string, summary: string): void {
  ns.ctx.trace.emit({ seq: 0, time: 0, kind: "netfilter", host: ns.host, namespace: ns.name, device, packetId, layers: null, summary, table, chain, rule, target });
}

/**
 * A rule's `-A` text for trace events, made once per rule: a rule in a chain is
 * never changed in place (the iptables command builds a new one), so only a
 * renamed chain makes the text stale. The event's summary is kept with it for
 * the rule's place in its chain: every packet that passes the rule would
 * otherwise build the same line again (ten of a ping round trip's 28 events are
 * these), and one string shared by all of them is also hashed once where the
 * stored trace writes each distinct string once.
 */
interface RuleText {
  chain: string;
  text: string;
  /** The summary for the rule at `index` in its chain; -1 before one is made. */
  index: number;
  summary: string;
}

const specs = new WeakMap<Rule, RuleText>();

function ruleText(chain: string, rule: Rule): RuleText {
  const cached = specs.get(rule);
  if (cached !== undefined && cached.chain === chain) return cached;
  const made = { chain, text: ruleSpec(chain, rule), index: -1, summary: "" };
  specs.set(rule, made);
  return made;
}

/** The netfilter event of a rule that decided, jumped or marked. */
function traceHit(ns: NetNamespace, packetId: number, device: string | null, table: TableName, chain: string, index: number, rule: Rule): void {
  const spec = ruleText(chain, rule);
  if (spec.index !== index) {
    spec.index = index;
    spec.summary = `${table} ${chain}: rule ${index + 1} matches: ${spec.text}`;
  }
  emitVerdict(ns, packetId, device, table, chain, spec.text, targetName(rule.target), spec.summary);
}

function dropByPolicy(ns: NetNamespace, table: TableName, chain: string, packetId: number, device: string | null, byRule: boolean): void {
  if (!byRule) emitVerdict(ns, packetId, device, table, chain, "policy DROP", "DROP", `${table} ${chain}: no rule accepted the packet: policy DROP`);
  dropPacket(ns, {
    device,
    packetId,
    layers: null,
    summary: `dropped by ${table} ${chain}${byRule ? "" : " policy"}`,
    reason: "netfilter",
    detail: `${table} ${chain}`,
  });
}

function rewrite(ns: NetNamespace, packetId: number, device: string | null, type: "SNAT" | "DNAT" | "MASQUERADE" | "un-SNAT" | "un-DNAT", field: "source" | "destination", p: Ipv4Payload, address: number, port: number | null): Ipv4Payload {
  const pp = portsOf(p);
  const before = field === "source" ? endpoint(p.src, pp?.sport ?? null) : endpoint(p.dst, pp?.dport ?? null);
  let l4 = p.l4;
  if (port !== null && (l4.kind === "tcp" || l4.kind === "udp")) l4 = field === "source" ? { ...l4, srcPort: port } : { ...l4, dstPort: port };
  const out: Ipv4Payload = field === "source" ? { ...p, src: address, l4 } : { ...p, dst: address, l4 };
  const after = field === "source" ? endpoint(out.src, portsOf(out)?.sport ?? null) : endpoint(out.dst, portsOf(out)?.dport ?? null);
  if (before !== after) {
    ns.ctx.trace.emit({
      seq: 0,
      time: 0,
      kind: "nat",
      host: ns.host,
      namespace: ns.name,
      device,
      packetId,
      layers: null,
      summary: `${type}: ${field} ${before} → ${after}`,
      type,
      field,
      from: before,
      to: after,
    });
  }
  return out;
}

/** Conntrack's translation of a packet of a known flow at PREROUTING (destination side) or POSTROUTING (source side). */
function applyTracked(ns: NetNamespace, hc: HookContext, device: string | null, p: Ipv4Payload, side: "pre" | "post"): Ipv4Payload {
  const ct = hc.ct;
  if (ct === null || ct.isNew) return p;
  const { orig, reply } = ct.entry;
  const hasPorts = portsOf(p) !== null;
  if (side === "pre") {
    // Destination: DNAT for the original direction, un-SNAT for replies.
    const wantDst = ct.direction === "orig" ? reply.src : orig.src;
    const wantPort = ct.direction === "orig" ? reply.sport : orig.sport;
    if (p.dst !== wantDst || (hasPorts && portsOf(p)!.dport !== wantPort)) {
      return rewrite(ns, hc.packetId, device, ct.direction === "orig" ? "DNAT" : "un-SNAT", "destination", p, wantDst, hasPorts ? wantPort : null);
    }
    return p;
  }
  // Source: SNAT for the original direction, un-DNAT for replies.
  const wantSrc = ct.direction === "orig" ? reply.dst : orig.dst;
  const wantPort = ct.direction === "orig" ? reply.dport : orig.dport;
  if (p.src !== wantSrc || (hasPorts && portsOf(p)!.sport !== wantPort)) {
    return rewrite(ns, hc.packetId, device, ct.direction === "orig" ? "SNAT" : "un-DNAT", "source", p, wantSrc, hasPorts ? wantPort : null);
  }
  return p;
}

function natChain(ns: NetNamespace, chain: "PREROUTING" | "OUTPUT" | "POSTROUTING", hc: HookContext, p: Ipv4Payload, inDevice: string | null, outDevice: string | null): Ipv4Payload {
  const ct = hc.ct;
  if (ct === null || !ct.isNew) return p;
  const device = chain === "POSTROUTING" ? outDevice : inDevice;
  const v = traverse(ns, "nat", chain, hc, p, inDevice, outDevice, device);
  if (v.kind !== "NAT") return p;
  const t = v.rule.target;
  const e = ct.entry;
  const pp = portsOf(p);
  switch (t.kind) {
    case "DNAT": {
      const out = rewrite(ns, hc.packetId, device, "DNAT", "destination", p, t.address, pp !== null ? (t.port ?? pp.dport) : null);
      e.reply = { ...e.reply, src: out.dst, sport: portsOf(out)?.dport ?? e.reply.sport };
      return out;
    }
    case "SNAT":
    case "MASQUERADE": {
      let address = t.kind === "SNAT" ? t.address : 0;
      if (t.kind === "MASQUERADE") {
        const dev = outDevice === null ? undefined : ns.device(outDevice);
        address = dev === undefined ? p.src : ns.sourceFor(dev, null, p.dst);
      }
      let port = pp === null ? null : t.kind === "SNAT" && t.port !== null ? t.port : pp.sport;
      // --random-fully: a port drawn from the range (nf_nat_l4proto_unique_tuple with get_random_u32), not the original.
      if (port !== null && t.kind === "MASQUERADE" && t.randomFully === true) port = port < 1024 ? 1 + (ns.ctx.random.nextUint32() % 1023) : 1024 + (ns.ctx.random.nextUint32() % 64512);
      // Keep the source port unless another flow already uses that reply tuple.
      const protocol = protocolOf(p);
      while (port !== null && ns.conntrack.replyTaken(protocol, { src: e.reply.src, dst: address, sport: e.reply.sport, dport: port })) port = port >= 65535 ? 1024 : port + 1;
      const out = rewrite(ns, hc.packetId, device, t.kind, "source", p, address, port);
      e.reply = { ...e.reply, dst: out.src, dport: portsOf(out)?.sport ?? e.reply.dport };
      return out;
    }
    default:
      return p;
  }
}

function emitNewFlow(ns: NetNamespace, hc: HookContext): void {
  const ct = hc.ct;
  if (ct === null || !ct.isNew) return;
  const e = ct.entry;
  const t = (x: Tuple) => (e.protocol === 1 ? `src=${formatIpv4(x.src)} dst=${formatIpv4(x.dst)} id=${x.sport}` : `src=${formatIpv4(x.src)} dst=${formatIpv4(x.dst)} sport=${x.sport} dport=${x.dport}`);
  ns.conntrack.confirm(e);
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "conntrack",
    host: ns.host,
    namespace: ns.name,
    device: null,
    packetId: hc.packetId,
    layers: null,
    summary: `conntrack: new ${protocolName(e.protocol)} flow ${t(e.orig)}, replies expected as ${t(e.reply)}`,
    protocol: protocolName(e.protocol),
    orig: t(e.orig),
    reply: t(e.reply),
    state: e.tcpState ?? "NEW",
  });
  ct.isNew = false;
}

function track(ns: NetNamespace, p: Ipv4Payload, packetId: number): HookContext {
  const now = ns.ctx.scheduler.now;
  const ct = ns.conntrack.lookup(p, now);
  if (ct !== null) ns.conntrack.update(ct, p, now);
  return { packetId, ct, mark: 0 };
}

/** PREROUTING: returns the (possibly rewritten) packet and its flow. */
export function hookPrerouting(ns: NetNamespace, inDevice: string, p: Ipv4Payload, packetId: number): { p: Ipv4Payload; hc: HookContext } {
  const hc = track(ns, p, packetId);
  let out = applyTracked(ns, hc, inDevice, p, "pre");
  out = natChain(ns, "PREROUTING", hc, out, inDevice, null);
  return { p: out, hc };
}

/** filter INPUT / FORWARD: false when the packet is dropped. */
export function hookFilter(ns: NetNamespace, chain: "INPUT" | "FORWARD" | "OUTPUT", hc: HookContext, p: Ipv4Payload, inDevice: string | null, outDevice: string | null): boolean {
  const device = chain === "INPUT" ? inDevice : outDevice;
  let byRule = false;
  const v = traverse(ns, "filter", chain, hc, p, inDevice, outDevice, device, (t, c, index, rule) => {
    byRule = rule.target.kind === "DROP" || rule.target.kind === "REJECT";
    traceHit(ns, hc.packetId, device, t, c, index, rule);
  });
  if (v.kind === "DROP" || v.kind === "REJECT") {
    dropByPolicy(ns, "filter", chain, hc.packetId, device, byRule);
    // REJECT answers the sender: ICMP port unreachable (ipt_REJECT's default), from this namespace.
    if (v.kind === "REJECT") sendIcmpError(ns, p, inDevice, 3, 3, 0);
    return false;
  }
  return true;
}

/**
 * Local delivery: filter INPUT, then the flow is confirmed (it ends here), and
 * a known flow's source translation is undone, as nf_nat does at LOCAL_IN after
 * filter: a reply to a connection the host DNATed in OUTPUT (a node reaching a
 * Service address) comes back from the address it was sent to. Null when dropped.
 */
export function hookLocalIn(ns: NetNamespace, hc: HookContext, p: Ipv4Payload, inDevice: string): Ipv4Payload | null {
  if (!hookFilter(ns, "INPUT", hc, p, inDevice, null)) return null;
  const wasNew = hc.ct?.isNew ?? false;
  emitNewFlow(ns, hc);
  return wasNew ? p : applyTracked(ns, hc, inDevice, p, "post");
}

/** OUTPUT for locally generated packets: conntrack and nat OUTPUT. */
export function hookOutput(ns: NetNamespace, p: Ipv4Payload, packetId: number): { p: Ipv4Payload; hc: HookContext } {
  const hc = track(ns, p, packetId);
  let out = applyTracked(ns, hc, null, p, "pre");
  out = natChain(ns, "OUTPUT", hc, out, null, null);
  return { p: out, hc };
}

/** POSTROUTING: source NAT for new flows, then the flow's translations; confirms new flows. */
export function hookPostrouting(ns: NetNamespace, hc: HookContext, p: Ipv4Payload, outDevice: string): Ipv4Payload {
  let out = natChain(ns, "POSTROUTING", hc, p, null, outDevice);
  const wasNew = hc.ct?.isNew ?? false;
  emitNewFlow(ns, hc);
  if (!wasNew) out = applyTracked(ns, hc, outDevice, out, "post");
  return out;
}
