/**
 * UDP: datagrams to bound sockets, ICMP port unreachable when none is bound
 * (what makes `traceroute` and the overlay daemons' sockets work).
 */
import type { Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import type { Ipv4Payload, UdpDatagram } from "../link/payload.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { sendIcmpError } from "./icmp.js";
import { ipOutput, type OutputError, type PmtuDisc } from "./ipv4.js";
import type { NetNamespace } from "./namespace.js";
import { dropPacket } from "./drop.js";
import { emitSocketDeliver } from "./socket-deliver.js";

/**
 * Sends a datagram from a socket: DF set unless the socket says otherwise
 * (IP_MTU_DISCOVER's default "want", as a daemon's ordinary UDP socket has;
 * the kernel's VXLAN encapsulation sends with DF clear).
 */
export function udpSend(
  ns: NetNamespace,
  dst: number,
  dstPort: number,
  srcPort: number,
  data: Uint8Array,
  opts: { src?: number; packetId?: number; pmtuDisc?: PmtuDisc } = {},
): OutputError | null {
  return ipOutput(ns, dst, { kind: "udp", srcPort, dstPort, data }, { pmtuDisc: "want", ...opts });
}

export function udpInput(ns: NetNamespace, dev: Device, frame: Frame, p: Ipv4Payload, d: UdpDatagram): void {
  const sock = ns.sockets.findUdp(p.dst, d.dstPort);
  if (sock === undefined) {
    dropPacket(ns, {
      device: dev.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `nothing listens on ${formatIpv4(p.dst)}:${d.dstPort}/udp: ICMP port unreachable`,
      reason: "port-closed",
      detail: `udp port ${d.dstPort} closed`,
    });
    if (p.dst !== 0xffffffff) sendIcmpError(ns, p, dev.name, 3, 3, 0);
    return;
  }
  emitSocketDeliver(ns, dev, frame, `${d.data.length}-byte datagram from ${formatIpv4(p.src)}:${d.srcPort} delivered to ${sock.process} on port ${d.dstPort}`, "udp", d.dstPort, sock.process);
  sock.onDatagram(p.src, d.srcPort, d.data, frame.packetId);
}
