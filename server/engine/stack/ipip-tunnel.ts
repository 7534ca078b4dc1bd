/**
 * IP-in-IP (Calico's tunl0, modelled from the ipip driver's documentation:
 * the kernel here has no ipip module to compare with). A packet routed into
 * tunl0 is wrapped in an outer IPv4 header (protocol 4) addressed to the
 * route's gateway, the peer node; a protocol-4 packet delivered locally is
 * unwrapped and received on tunl0 as if it had arrived there.
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
  ipOutput(ns, remote, { kind: "ipip", inner: p }, { ...(src === 0 ? {} : { src }), packetId, pmtuDisc: "dont" });
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
