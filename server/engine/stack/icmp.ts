/**
 * ICMP in the kernel: answering echo requests (icmp_echo), sending errors
 * (icmp_send: never about an ICMP error, a broadcast, or a non-first
 * fragment; quoting as much of the offending packet as Linux does), and
 * handing echo replies and errors to the socket they concern.
 */
import type { Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import { l4Protocol, type IcmpError, type Ipv4Payload, type QuotedDatagram } from "../link/payload.js";
import { icmpErrorQuote } from "../wire/icmp.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { ipOutput } from "./ipv4.js";
import type { NetNamespace } from "./namespace.js";
import { tcpError } from "./tcp.js";
import { dropPacket } from "./drop.js";
import { emitSocketDeliver } from "./socket-deliver.js";

/** RT_TOS: the TOS bits an ICMP error keeps from the offending packet. */
const IPTOS_TOS_MASK = 0x1e;
const IPTOS_PREC_INTERNETCONTROL = 0xc0;

export const ICMP_MESSAGES: Record<string, string> = {
  "3/0": "Destination Net Unreachable",
  "3/1": "Destination Host Unreachable",
  "3/2": "Destination Protocol Unreachable",
  "3/3": "Destination Port Unreachable",
  "3/4": "Frag needed",
  "11/0": "Time to live exceeded",
  "11/1": "Frag reassembly time exceeded",
};

export function icmpMessage(type: number, code: number, mtu = 0): string {
  if (type === 3 && code === 4) return `Frag needed and DF set (mtu = ${mtu})`;
  return ICMP_MESSAGES[`${type}/${code}`] ?? `ICMP type ${type} code ${code}`;
}

function readQuote(bytes: Uint8Array, p: Ipv4Payload): QuotedDatagram {
  const l4 = p.l4;
  const protocol = l4Protocol(l4);
  const quote: QuotedDatagram = {
    bytes,
    src: p.src,
    dst: p.dst,
    protocol,
    icmpId: l4.kind === "icmp-echo" ? l4.id : null,
    icmpSeq: l4.kind === "icmp-echo" ? l4.seq : null,
    srcPort: l4.kind === "tcp" || l4.kind === "udp" ? l4.srcPort : null,
    dstPort: l4.kind === "tcp" || l4.kind === "udp" ? l4.dstPort : null,
  };
  // A first fragment's 8 quoted bytes are still the transport header: read the ids from them.
  const d = l4.kind === "fragment" && l4.offset === 0 && l4.data.length >= 8 ? l4.data : null;
  if (d === null) return quote;
  const word = (i: number) => (d[i]! << 8) | d[i + 1]!;
  if (protocol === 1 && d[0] === 8) return { ...quote, icmpId: word(4), icmpSeq: word(6) };
  if (protocol === 6 || protocol === 17) return { ...quote, srcPort: word(0), dstPort: word(2) };
  return quote;
}

/** Sends an ICMP error about `offending` back to its source. */
export function sendIcmpError(ns: NetNamespace, offending: Ipv4Payload, inDevice: string | null, type: 3 | 11, code: number, nextHopMtu: number): void {
  if (offending.l4.kind === "icmp-error" || offending.dst === 0xffffffff || offending.src === 0) return;
  // Only a datagram's first fragment holds what an error must quote (icmp_send skips the others).
  if (offending.l4.kind === "fragment" && offending.l4.offset !== 0) return;
  const quoted = readQuote(icmpErrorQuote(ns.ctx.encodePacket(offending)), offending);
  const error: IcmpError = { kind: "icmp-error", type, code, nextHopMtu, quoted };
  // The source is the address of the interface the packet came in on, or ours toward the sender.
  const inDev = inDevice === null ? undefined : ns.device(inDevice);
  const src = ns.isLocalAddress(offending.src) ? offending.src : inDev !== undefined && inDev.addresses.length > 0 ? ns.sourceFor(inDev, null, offending.src) : undefined;
  const message = icmpMessage(type, code, nextHopMtu);
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "icmp-error",
    host: ns.host,
    namespace: ns.name,
    device: inDevice,
    packetId: null,
    layers: null,
    summary: `ICMP ${message} to ${formatIpv4(offending.src)} about its packet to ${formatIpv4(offending.dst)}`,
    type,
    code,
    message,
    to: formatIpv4(offending.src),
  });
  // icmp_send: the kernel's ICMP socket never sets DF (IP_PMTUDISC_DONT); an error's TOS is
  // the offending packet's with precedence "internetwork control" (0xc0).
  const opts = { pmtuDisc: "dont", tos: (offending.tos & IPTOS_TOS_MASK) | IPTOS_PREC_INTERNETCONTROL } as const;
  ipOutput(ns, offending.src, error, src === undefined ? opts : { ...opts, src });
}

export function icmpInput(ns: NetNamespace, dev: Device, frame: Frame, p: Ipv4Payload): void {
  const l4 = p.l4;
  if (l4.kind === "icmp-echo") {
    if (l4.type === "request") {
      ns.ctx.trace.emit({
        seq: 0,
        time: 0,
        kind: "icmp-echo",
        host: ns.host,
        namespace: ns.name,
        device: dev.name,
        packetId: frame.packetId,
        layers: frame.layers,
        summary: `echo request from ${formatIpv4(p.src)} (id ${l4.id}, seq ${l4.seq}): the kernel answers with an echo reply`,
        id: l4.id,
        sequence: l4.seq,
        to: formatIpv4(p.src),
      });
      const src = p.dst === 0xffffffff ? undefined : p.dst;
      // icmp_reply: the reply keeps the request's TOS and, from the ICMP socket, DF clear.
      const opts = { pmtuDisc: "dont", tos: p.tos } as const;
      ipOutput(ns, p.src, { kind: "icmp-echo", type: "reply", id: l4.id, seq: l4.seq, data: l4.data }, src === undefined ? opts : { ...opts, src });
      return;
    }
    const sock = ns.sockets.ping.get(l4.id);
    if (sock === undefined) {
      noSocket(ns, dev, frame, `echo reply id ${l4.id}: no ping socket waits for it`);
      return;
    }
    emitSocketDeliver(ns, dev, frame, `echo reply seq ${l4.seq} from ${formatIpv4(p.src)} delivered to ping (id ${l4.id})`, "icmp", l4.id, "ping");
    sock.onReply(p.src, l4.seq, p.ttl, 8 + l4.data.length);
    return;
  }
  if (l4.kind !== "icmp-error") return;
  // An error: find the socket the quoted datagram came from.
  const q = l4.quoted;
  if (q.icmpId !== null) {
    const sock = ns.sockets.ping.get(q.icmpId);
    if (sock !== undefined) {
      emitSocketDeliver(ns, dev, frame, `ICMP ${icmpMessage(l4.type, l4.code, l4.nextHopMtu)} from ${formatIpv4(p.src)} delivered to ping (id ${q.icmpId})`, "icmp", q.icmpId, "ping");
      sock.onError(p.src, l4);
      return;
    }
  }
  // IP_RECVERR: a UDP socket that asked for errors (traceroute) gets the ones its datagrams caused.
  if (q.protocol === 17 && q.srcPort !== null) {
    const sock = ns.sockets.findUdp(q.src, q.srcPort);
    if (sock?.onError !== undefined) {
      emitSocketDeliver(ns, dev, frame, `ICMP ${icmpMessage(l4.type, l4.code, l4.nextHopMtu)} from ${formatIpv4(p.src)} delivered to ${sock.process} (udp port ${q.srcPort})`, "udp", q.srcPort, sock.process);
      sock.onError(p.src, l4);
      return;
    }
  }
  // raw_icmp_error: a raw TCP socket with IP_RECVERR (traceroute -T) gets the errors its probe caused.
  const raw = q.protocol === 6 && q.srcPort !== null ? ns.sockets.findRawTcp(q.srcPort) : undefined;
  if (raw !== undefined) {
    emitSocketDeliver(ns, dev, frame, `ICMP ${icmpMessage(l4.type, l4.code, l4.nextHopMtu)} from ${formatIpv4(p.src)} delivered to ${raw.process} (raw tcp, port ${q.srcPort})`, "tcp", q.srcPort!, raw.process);
    raw.onError(p.src, l4);
    return;
  }
  if (q.protocol === 6 && q.srcPort !== null && q.dstPort !== null && tcpError(ns, q, l4)) return;
  noSocket(ns, dev, frame, `ICMP ${icmpMessage(l4.type, l4.code)} concerns no open socket`);
}

function noSocket(ns: NetNamespace, dev: Device, frame: Frame, detail: string): void {
  dropPacket(ns, { device: dev.name, packetId: frame.packetId, layers: frame.layers, summary: detail, reason: "no-socket", detail });
}
