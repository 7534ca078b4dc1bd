/**
 * The IPv4 layer of a namespace: frames handed up by devices (ip_rcv), the
 * routing decision for each packet (local delivery, forwarding, or drop),
 * output of locally generated packets (ip_route_output + neighbour output)
 * and forwarding with TTL decrement. ICMP, TCP and UDP sit above; ARP beside.
 */
import type { Device } from "../link/device.js";
import { isGroupMac, type Frame } from "../link/frame.js";
import { l4Length, l4Protocol, type Ipv4Payload, type L4 } from "../link/payload.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { TextMemo } from "../trace/text-memo.js";
import { arpInput, neighOutput, setArpHooks } from "./arp.js";
import { icmpInput, sendIcmpError } from "./icmp.js";
import type { NetNamespace } from "./namespace.js";
import { hookFilter, hookLocalIn, hookOutput, hookPostrouting, hookPrerouting, type HookContext } from "./netfilter/hooks.js";
import { formatRoute, type Route } from "./route-table.js";
import { DEFAULT_TTL } from "./stack-context.js";
import { tcpInput } from "./tcp.js";
import { udpInput } from "./udp.js";
import { ipipInput, ipipOutput } from "./ipip-tunnel.js";
import { dropPacket } from "./drop.js";
import { isFragment, reassemble, type DefragUser } from "./ip-reassembly.js";
import { ipFragments } from "./ip-fragment.js";
import { bridgeNetfilter, passedUp } from "./bridge-netfilter.js";
import { martianSource } from "./source-validation.js";

const PROTOCOL_NAMES: Record<number, string> = { 1: "icmp", 4: "ipip", 6: "tcp", 17: "udp" };

/** Wires a namespace's devices to this stack. */
export function installStack(ns: NetNamespace): void {
  ns.onFrame = l2Input;
  ns.bridgeNetfilter = bridgeNetfilter(ns);
}

setArpHooks({
  resolutionFailed(ns, pending, entry) {
    dropPacket(ns, {
      device: entry.dev,
      packetId: pending.packetId,
      layers: null,
      summary: `packet to ${formatIpv4(pending.payload.dst)} dropped: ARP for ${formatIpv4(entry.ip)} failed`,
      reason: "arp-failed",
      detail: `no ARP reply from ${formatIpv4(entry.ip)} on ${entry.dev}`,
    });
    sendIcmpError(ns, pending.payload, pending.inDevice, 3, 1, 0);
  },
});

function l2Input(ns: NetNamespace, dev: Device, frame: Frame): void {
  if (dev.kind !== "loopback" && dev.kind !== "tun" && dev.kind !== "ipip" && frame.dst !== dev.mac && !isGroupMac(frame.dst)) {
    dropPacket(ns, {
      device: dev.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `${dev.name}: frame for ${frame.dst} is not for this interface (${dev.mac})`,
      reason: "not-for-host",
      detail: "PACKET_OTHERHOST",
    });
    return;
  }
  const p = frame.payload;
  switch (p.kind) {
    case "arp":
      arpInput(ns, dev, frame, p);
      return;
    case "ipv4":
      ipInput(ns, dev, frame, p);
      return;
  }
}

/** The summaries of a route's last few lookups: a bridge's host decides both directions of a flow with one route. */
const lookupSummaries = new TextMemo(4);
/** What a namespace's last few local deliveries were, in words. */
const localSummaries = new TextMemo(4);

/** The route-lookup event of a routing decision. */
export function emitLookup(ns: NetNamespace, device: string | null, packetId: number, frame: Frame | null, dst: number, lookup: ReturnType<typeof ns.routes.lookup>): void {
  const r = lookup.route;
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "route-lookup",
    host: ns.host,
    namespace: ns.name,
    device,
    packetId,
    layers: frame?.layers ?? null,
    summary: r === null ? `route to ${formatIpv4(dst)}: none (${lookup.reason})` : lookupSummaries.text(r, dst, lookup.reason, null, null, () => `route to ${formatIpv4(dst)}: ${formatRoute(r)} — ${lookup.reason}`),
    destination: formatIpv4(dst),
    table: r?.table ?? "main",
    route: r === null ? null : formatRoute(r),
    nextHop: r === null ? null : formatIpv4(r.via ?? dst),
    outDevice: r?.dev ?? null,
    reason: lookup.reason,
    candidates: lookup.candidates,
  });
}

/** fib_validate_source (source-validation.ts): a martian source is dropped without an answer. */
function reversePathOk(ns: NetNamespace, dev: Device, frame: Frame, p: Ipv4Payload): boolean {
  const martian = martianSource(ns, dev, p.src);
  if (martian === null) return true;
  dropPacket(ns, {
    device: dev.name,
    packetId: frame.packetId,
    layers: frame.layers,
    summary: `martian source ${formatIpv4(p.src)} on ${dev.name}: ${martian.why}`,
    reason: "rp-filter",
    detail: martian.detail,
  });
  return false;
}

function ipInput(ns: NetNamespace, dev: Device, frame: Frame, received: Ipv4Payload): void {
  let p = received;
  // br_netfilter ran conntrack and PREROUTING as the frame entered the bridge: ip_sabotage_in skips the IP layer's.
  const up = passedUp(dev);
  let hc: HookContext | null = up?.hc ?? null;
  if (hc === null && !ns.netfilter.empty) {
    // Conntrack needs whole datagrams: nf_defrag_ipv4 reassembles before PREROUTING's rules.
    let fragMaxSize = 0;
    if (isFragment(p)) {
      const whole = reassemble(ns, dev.name, frame, p, "conntrack");
      if (whole === null) return;
      p = whole.p;
      fragMaxSize = whole.fragMaxSize;
    }
    const pre = hookPrerouting(ns, dev.name, p, frame.packetId);
    p = pre.p;
    hc = pre.hc;
    if (fragMaxSize > 0) hc.fragMaxSize = fragMaxSize;
  }
  if (!reversePathOk(ns, dev, frame, p)) return;
  // A destination DNAT changed at the bridge was routed there already (the skb keeps that dst): no second lookup.
  const decided = up?.lookup ?? null;
  const lookup = decided ?? ns.routes.lookup(p.dst, (r) => r.table === "local" || ns.routeUsable(r));
  const local = lookup.route !== null && lookup.route.table === "local";
  const limitedBroadcast = p.dst === 0xffffffff;
  if (decided === null && (local || limitedBroadcast || dev.forwarding)) emitLookup(ns, dev.name, frame.packetId, frame, p.dst, lookup);
  if (local || limitedBroadcast) {
    // ip_local_deliver: fragments wait for the rest of their datagram.
    const whole = defragment(ns, dev, frame, p, "local");
    if (whole === null) return;
    p = whole;
    if (hc !== null) {
      const kept = hookLocalIn(ns, hc, p, dev.name);
      if (kept === null) return;
      p = kept;
    }
    localDeliver(ns, dev, frame, p);
    return;
  }
  // ip_route_input_slow: IN_DEV_FORWARD of the device the packet came in on decides; no ICMP goes back.
  if (!dev.forwarding) {
    const setting = ns.forwarding ? `net.ipv4.conf.${dev.name}.forwarding` : "net.ipv4.ip_forward";
    dropPacket(ns, {
      device: dev.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `${formatIpv4(p.dst)} is not a local address and ${setting} is 0: dropped`,
      reason: "forwarding-disabled",
      detail: `${setting}=0`,
    });
    return;
  }
  if (lookup.route === null) {
    dropWith(ns, dev.name, frame, "no-route", `no route to ${formatIpv4(p.dst)}`);
    sendIcmpError(ns, p, dev.name, 3, 0, 0);
    return;
  }
  if (p.ttl <= 1) {
    dropWith(ns, dev.name, frame, "ttl-expired", `TTL ${p.ttl} would reach 0 when forwarded`);
    sendIcmpError(ns, p, dev.name, 11, 0, 0);
    return;
  }
  const route = lookup.route;
  if (route.type === "blackhole") {
    // A blackhole route discards silently: no ICMP goes back.
    dropWith(ns, dev.name, frame, "no-route", `blackhole route ${formatRoute(route)}`);
    return;
  }
  if (hc !== null && !hookFilter(ns, "FORWARD", hc, p, dev.name, route.dev)) return;
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "ip-forward",
    host: ns.host,
    namespace: ns.name,
    device: dev.name,
    packetId: frame.packetId,
    layers: frame.layers,
    summary: `forward ${formatIpv4(p.src)} > ${formatIpv4(p.dst)} from ${dev.name} to ${route.dev}, ttl ${p.ttl} → ${p.ttl - 1}`,
    inDevice: dev.name,
    outDevice: route.dev,
    ttl: p.ttl - 1,
  });
  sendViaRoute(ns, route, { ...p, ttl: p.ttl - 1 }, frame.packetId, dev.name, hc);
}

/** A whole packet as it is; a fragment queued, giving the datagram (or null while incomplete). */
function defragment(ns: NetNamespace, dev: Device, frame: Frame, p: Ipv4Payload, user: DefragUser): Ipv4Payload | null {
  return isFragment(p) ? (reassemble(ns, dev.name, frame, p, user)?.p ?? null) : p;
}

function dropWith(ns: NetNamespace, device: string, frame: Frame, reason: "no-route" | "ttl-expired", detail: string): void {
  dropPacket(ns, { device, packetId: frame.packetId, layers: frame.layers, summary: `dropped: ${detail}`, reason, detail });
}

function localDeliver(ns: NetNamespace, dev: Device, frame: Frame, p: Ipv4Payload): void {
  const protocol = PROTOCOL_NAMES[l4Protocol(p.l4)] ?? String(l4Protocol(p.l4));
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "ip-local",
    host: ns.host,
    namespace: ns.name,
    device: dev.name,
    packetId: frame.packetId,
    layers: frame.layers,
    summary: localSummaries.text(ns, p.dst, p.src, protocol, null, () => `${formatIpv4(p.dst)} is local: ${protocol} packet from ${formatIpv4(p.src)} delivered up the stack`),
    protocol,
    inDevice: dev.name,
  });
  switch (p.l4.kind) {
    case "icmp-echo":
    case "icmp-error":
      icmpInput(ns, dev, frame, p);
      return;
    case "tcp":
      tcpInput(ns, dev, frame, p, p.l4);
      return;
    case "udp":
      udpInput(ns, dev, frame, p, p.l4);
      return;
    case "ipip":
      ipipInput(ns, dev, frame, p, p.l4);
      return;
    case "fragment":
      // Never here: ipInput reassembles fragments before delivering.
      return;
  }
}

/**
 * Sends on the route's device to its next hop, through lo for local
 * destinations. A packet larger than the device's MTU is cut into fragments
 * (ip_fragment) when it may be: a forwarded one without DF, a local one unless
 * its socket said IP_PMTUDISC_DO. Otherwise a forwarded packet gets ICMP
 * "fragmentation needed" back and a local one fails with EMSGSIZE. A datagram
 * conntrack reassembled leaves in fragments no larger than the largest that
 * came, even when it would fit the MTU whole (frag_max_size).
 */
function sendViaRoute(
  ns: NetNamespace,
  route: Route,
  packet: Ipv4Payload,
  packetId: number,
  inDevice: string | null,
  hc: HookContext | null = null,
  pmtuDisc: PmtuDisc = "want",
): OutputError | null {
  const dev = route.table === "local" ? ns.device("lo") : ns.device(route.dev);
  if (dev === undefined) return null;
  const p = hc === null ? packet : hookPostrouting(ns, hc, packet, dev.name);
  const length = 20 + l4Length(p.l4);
  const fragMaxSize = hc?.fragMaxSize ?? 0;
  if ((length <= dev.mtu && (fragMaxSize === 0 || length <= fragMaxSize)) || dev.kind === "loopback") {
    transmitOn(ns, route, dev, p, packetId, inDevice);
    return null;
  }
  const mayFragment = inDevice === null ? pmtuDisc !== "do" : !p.dontFragment;
  if (mayFragment && dev.mtu >= MIN_MTU) {
    sendFragments(ns, route, dev, p, packetId, inDevice, fragMaxSize);
    return null;
  }
  dropPacket(ns, {
    device: dev.name,
    packetId,
    layers: null,
    summary: `${length}-byte packet does not fit ${dev.name}'s MTU ${dev.mtu}${p.dontFragment ? " and DF is set" : ""}`,
    reason: "mtu-exceeded",
    detail: `length ${length} > mtu ${dev.mtu}`,
  });
  if (inDevice === null) return { errno: "EMSGSIZE", mtu: dev.mtu };
  if (p.dontFragment) sendIcmpError(ns, p, inDevice, 3, 4, dev.mtu);
  return null;
}

/** IPv4's minimum MTU (RFC 791): below it a device cannot carry a fragment. */
const MIN_MTU = 68;

/** ip_fragment: the pieces (ip-fragment.ts), each sent as its own packet. */
function sendFragments(ns: NetNamespace, route: Route, dev: Device, p: Ipv4Payload, packetId: number, inDevice: string | null, fragMaxSize: number): void {
  for (const piece of ipFragments(ns, p, dev.name, dev.mtu, packetId, fragMaxSize)) transmitOn(ns, route, dev, piece, packetId, inDevice);
}

/** Hands a packet that fits to the device: tunnel, point-to-point, broadcast, or through the neighbour. */
function transmitOn(ns: NetNamespace, route: Route, dev: Device, p: Ipv4Payload, packetId: number, inDevice: string | null): void {
  if (dev.kind === "ipip") {
    ipipOutput(ns, dev, p, route.via ?? p.dst, packetId);
    return;
  }
  if (dev.kind === "loopback" || dev.kind === "tun") {
    // No link layer to resolve: lo loops back, TUN and IPIP devices are point-to-point (NOARP).
    dev.transmit(ns.ctx.buildFrame("00:00:00:00:00:00", "00:00:00:00:00:00", p, packetId));
    return;
  }
  if (route.type === "broadcast" || p.dst === 0xffffffff) {
    dev.transmit(ns.ctx.buildFrame(dev.mac, "ff:ff:ff:ff:ff:ff", p, packetId));
    return;
  }
  if (dev.kind === "dummy") {
    // IFF_NOARP: arp_constructor makes the neighbour NUD_NOARP with the device's own address as its
    // link address, so nothing is asked and the frame goes to the device's own MAC.
    dev.transmit(ns.ctx.buildFrame(dev.mac, dev.mac, p, packetId));
    return;
  }
  neighOutput(ns, dev, route.via ?? p.dst, { payload: p, packetId, inDevice });
}

/** Why a local packet was not sent: no route, or too big for a socket that forbids fragmenting. */
export type OutputError = { errno: "ENETUNREACH" } | { errno: "EMSGSIZE"; mtu: number };

/**
 * A socket's IP_MTU_DISCOVER (ping -M): "want" (the default) sets DF but lets
 * the kernel fragment a packet larger than the route's MTU; "do" refuses such
 * a packet with EMSGSIZE; "dont" never sets DF.
 */
export type PmtuDisc = "want" | "do" | "dont";

export interface OutputRoute {
  route: Route;
  src: number;
}

/** ip_route_output: the route and source address a local socket would use, with its trace event. */
export function routeOutput(ns: NetNamespace, dst: number, packetId: number): OutputRoute | "ENETUNREACH" {
  const lookup = ns.routes.lookup(dst, (r) => r.table === "local" || ns.routeUsable(r));
  emitLookup(ns, null, packetId, null, dst, lookup);
  if (lookup.route === null) return "ENETUNREACH";
  const r = lookup.route;
  const dev = ns.device(r.dev)!;
  return { route: r, src: r.table === "local" ? dst : ns.sourceFor(dev, r, dst) };
}

/**
 * Sends a locally generated packet. Returns ENETUNREACH (nothing sent) when no route matches.
 *
 * Its IP id (ip_select_ident): a connected socket's counter, or the kernel's
 * hashed one, both stood for by the namespace's counter; 0 for a packet with
 * DF that may not be fragmented (ignore_df clear), which only IP_PMTUDISC_DO
 * gives an unconnected socket (ping -M do), and for a SYN-ACK, which leaves
 * from a request socket (ip_build_and_send_pkt, `zeroIdIfDf`).
 */
export function ipOutput(
  ns: NetNamespace,
  dst: number,
  l4: L4,
  opts: { ttl?: number; src?: number; packetId?: number; pmtuDisc?: PmtuDisc; tos?: number; zeroIdIfDf?: boolean } = {},
): OutputError | null {
  const packetId = opts.packetId ?? ns.ctx.nextPacketId();
  const pmtuDisc = opts.pmtuDisc ?? "want";
  let out = routeOutput(ns, dst, packetId);
  if (out === "ENETUNREACH") return { errno: out };
  const dontFragment = pmtuDisc !== "dont";
  let p: Ipv4Payload = {
    kind: "ipv4",
    src: opts.src ?? out.src,
    dst,
    ttl: opts.ttl ?? DEFAULT_TTL,
    tos: opts.tos ?? 0,
    id: dontFragment && (pmtuDisc === "do" || opts.zeroIdIfDf === true) ? 0 : ns.ipId(),
    dontFragment,
    l4,
  };
  let hc: HookContext | null = null;
  if (!ns.netfilter.empty) {
    const o = hookOutput(ns, p, packetId);
    hc = o.hc;
    if (o.p.dst !== p.dst) {
      // DNAT in OUTPUT re-routes the packet (ip_route_me_harder).
      const again = routeOutput(ns, o.p.dst, packetId);
      if (again === "ENETUNREACH") return { errno: again };
      out = again;
    }
    p = o.p;
    if (!hookFilter(ns, "OUTPUT", hc, p, null, out.route.dev)) return null;
  }
  return sendViaRoute(ns, out.route, p, packetId, null, hc, pmtuDisc);
}
