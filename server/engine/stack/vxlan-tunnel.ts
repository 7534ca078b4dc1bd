/**
 * The IP side of a VXLAN device (drivers/net/vxlan): wrapping a frame in
 * UDP/VXLAN towards the remote VTEP, and unwrapping datagrams that arrive on
 * the tunnel's port back into frames for the device. The outer source port
 * is a hash of the inner flow, as udp_flow_src_port picks it, so one flow
 * keeps one outer port.
 */
import type { Frame } from "../link/frame.js";
import type { Vxlan } from "../link/vxlan.js";
import { encodeVxlan, decodeVxlan } from "../wire/vxlan.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { parseFrame } from "./frame-parser.js";
import type { NetNamespace } from "./namespace.js";
import { udpSend } from "./udp.js";
import { dropPacket } from "./drop.js";

function flowHash(inner: Frame): number {
  // FNV-1a over the inner frame's addresses and ports (bytes 14..38: IPv4 addresses and the L4 ports).
  let h = 0x811c9dc5;
  const end = Math.min(inner.bytes.length, 38);
  for (let i = 26; i < end; i++) h = Math.imul(h ^ inner.bytes[i]!, 0x01000193) >>> 0;
  return h;
}

function emitTunnel(ns: NetNamespace, kind: "encap" | "decap", dev: Vxlan, packetId: number, outer: string, inner: Frame): void {
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind,
    host: ns.host,
    namespace: ns.name,
    device: dev.name,
    packetId,
    layers: inner.layers,
    summary: `${dev.name} ${kind === "encap" ? "wraps" : "unwraps"} ${inner.summary} ${kind === "encap" ? "in" : "from"} UDP ${outer}, VXLAN VNI ${dev.config.vni}`,
    tunnel: "vxlan",
    outer,
    vni: dev.config.vni,
    inner: inner.summary,
  });
}

/** Connects a VXLAN device to its namespace's UDP/IP stack. */
export function attachVxlan(ns: NetNamespace, dev: Vxlan): void {
  const { port, local, vni } = dev.config;
  dev.encapsulate = (d, frame, remote) => {
    const sport = 32768 + (flowHash(frame) % (61000 - 32768));
    emitTunnel(ns, "encap", d, frame.packetId, `${formatIpv4(local)}:${sport} > ${formatIpv4(remote)}:${port}`, frame);
    // The VXLAN device's default (df unset): the outer header never has DF.
    udpSend(ns, remote, port, sport, encodeVxlan({ vni }, frame.bytes), { ...(local !== 0 ? { src: local } : {}), packetId: frame.packetId, pmtuDisc: "dont" });
  };
  dev.noRemote = (d, frame) =>
    dropPacket(ns, {
      device: d.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `${d.name}: no FDB entry says which VTEP owns ${frame.dst}`,
      reason: "no-route",
      detail: `no vxlan fdb entry for ${frame.dst}`,
    });
  if (ns.sockets.findUdp(0, port) !== undefined) return;
  ns.sockets.bindUdp({
    address: 0,
    port,
    process: "kernel (vxlan)",
    onDatagram: (from, fromPort, data, packetId) => {
      const v = decodeVxlan(data);
      const target = v.ok ? [...ns.devices.values()].find((x): x is Vxlan => x.kind === "vxlan" && (x as Vxlan).config.vni === v.value.repr.vni && (x as Vxlan).config.port === port) : undefined;
      const inner = v.ok ? parseFrame(v.value.payload.slice(), packetId) : v;
      if (target === undefined || !inner.ok) {
        dropPacket(ns, {
          device: null,
          packetId,
          layers: null,
          summary: `VXLAN datagram from ${formatIpv4(from)} dropped: ${!inner.ok ? inner.error : "no device with that VNI"}`,
          reason: "bad-frame",
          detail: !inner.ok ? inner.error : "unknown VNI",
        });
        return;
      }
      emitTunnel(ns, "decap", target, packetId, `${formatIpv4(from)}:${fromPort} > ${formatIpv4(target.config.local)}:${port}`, inner.value);
      target.receive(inner.value);
    },
  });
}
