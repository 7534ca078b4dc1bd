/**
 * IP-in-IP (Calico's tunl0, modelled from the ipip driver's source,
 * net/ipv4/ipip.c and ip_tunnel.c: the kernel here has no ipip module to
 * compare with; conformance/expectations/calico.yaml states what it would
 * send). A packet routed into tunl0 is wrapped in an outer IPv4 header
 * (protocol 4) addressed to the route's gateway, the peer node; a protocol-4
 * packet delivered locally is unwrapped and received on tunl0 as if it had
 * arrived there.
 */
import type { Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import type { Ipv4Payload, IpipPacket } from "../link/payload.js";
import { ZERO_MAC } from "../link/point-to-point.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { icmpMessage, sendIcmpError } from "./icmp.js";
import { ipOutput } from "./ipv4.js";
import type { NetNamespace } from "./namespace.js";
import { dropPacket } from "./drop.js";

function emit(ns: NetNamespace, kind: "encap" | "decap", device: string, packetId: number, outer: string, inner: Frame): void {
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind,
    host: ns.host,
    namespace: ns.name,
    device,
    packetId,
    layers: inner.layers,
    summary: `${device} ${kind === "encap" ? "wraps" : "unwraps"} ${inner.summary} ${kind === "encap" ? "in" : "from"} IPIP ${outer}`,
    tunnel: "ipip",
    outer,
    vni: null,
    inner: inner.summary,
  });
}

export function ipipOutput(ns: NetNamespace, dev: Device, p: Ipv4Payload, remote: number, packetId: number): void {
  const frame = ns.ctx.buildFrame(ZERO_MAC, ZERO_MAC, p, packetId);
  dev.transmit(frame);
  // The outer source is the address the underlay route to the peer would pick; ipOutput then makes (and traces) the routing decision.
  const underlay = ns.routes.lookup(remote, (r) => r.table === "main" && ns.routeUsable(r)).route;
  const out = underlay === null ? undefined : ns.device(underlay.dev);
  const src = out === undefined ? 0 : ns.sourceFor(out, underlay, remote);
  emit(ns, "encap", dev.name, packetId, `${formatIpv4(src)} > ${formatIpv4(remote)}`, frame);
  // tunl0 is the fallback device the module makes with every parameter zero (ip_tunnel_init_net), and Calico
  // sets only its MTU, state and address: ttl 0 (inherit), tos 0, pmtudisc off. So ip_tunnel_xmit gives the
  // outer header the inner TTL (already lowered by the forward into tunl0), the inner ECN bits
  // (INET_ECN_encapsulate), and DF only when the inner packet has it; iptunnel_xmit always draws an id.
  ipOutput(ns, remote, { kind: "ipip", inner: p }, { ...(src === 0 ? {} : { src }), packetId, ttl: p.ttl, tos: ecnEncapsulate(p.tos), pmtuDisc: p.dontFragment ? "want" : "dont" });
}

/** The outer ECN bits for an inner TOS byte: copied, except CE, which becomes ECT(0) (INET_ECN_encapsulate). */
function ecnEncapsulate(innerTos: number): number {
  const ecn = innerTos & 3;
  return ecn === 3 ? 2 : ecn;
}

export function ipipInput(ns: NetNamespace, dev: Device, frame: Frame, outer: Ipv4Payload, l4: IpipPacket): void {
  const tunl = [...ns.devices.values()].find((d) => d.kind === "ipip" && d.adminUp);
  if (tunl === undefined) {
    dropPacket(ns, {
      device: dev.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `IPIP packet from ${formatIpv4(outer.src)} but no ipip device is up: ${icmpMessage(3, 2)}`,
      reason: "no-socket",
      detail: "no ipip tunnel",
    });
    sendIcmpError(ns, outer, dev.name, 3, 2, 0);
    return;
  }
  const inner = ns.ctx.buildFrame(ZERO_MAC, ZERO_MAC, l4.inner, frame.packetId);
  emit(ns, "decap", tunl.name, frame.packetId, `${formatIpv4(outer.src)} > ${formatIpv4(outer.dst)}`, inner);
  tunl.receive(inner);
}
