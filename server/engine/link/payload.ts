/**
 * The typed content of a frame, as the stack acts on it. stack/frame-builder.ts
 * encodes it into real bytes with the wire/ encoders; the stack never parses
 * bytes it built itself, but tests check that decoding the bytes gives back
 * this same content.
 */
import { tcpOptionsLength, type TcpHeaderOptions } from "../wire/tcp.js";

export type Payload = ArpPayload | Ipv4Payload;

export interface ArpPayload {
  kind: "arp";
  op: "request" | "reply";
  senderMac: string;
  senderIp: number;
  targetMac: string;
  targetIp: number;
}

export interface Ipv4Payload {
  kind: "ipv4";
  src: number;
  dst: number;
  ttl: number;
  /** The type-of-service byte (DSCP and ECN): 0, or 0xc0 on the ICMP errors the kernel sends. */
  tos: number;
  id: number;
  dontFragment: boolean;
  l4: L4;
}

export type L4 = IcmpEcho | IcmpError | TcpSegment | UdpDatagram | IpipPacket | Ipv4Fragment;

export interface IcmpEcho {
  kind: "icmp-echo";
  type: "request" | "reply";
  id: number;
  seq: number;
  data: Uint8Array;
}

/** What an ICMP error quotes of the datagram that caused it, already read. */
export interface QuotedDatagram {
  bytes: Uint8Array;
  src: number;
  dst: number;
  protocol: number;
  /** ICMP echo id/seq or TCP/UDP ports, from the 8 quoted payload bytes. */
  icmpId: number | null;
  icmpSeq: number | null;
  srcPort: number | null;
  dstPort: number | null;
}

export interface IcmpError {
  kind: "icmp-error";
  /** 3 destination unreachable, 11 time exceeded. */
  type: 3 | 11;
  code: number;
  nextHopMtu: number;
  quoted: QuotedDatagram;
}

export interface TcpFlags {
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
  psh: boolean;
}

export interface TcpSegment {
  kind: "tcp";
  srcPort: number;
  dstPort: number;
  seq: number;
  ack: number;
  flags: TcpFlags;
  window: number;
  /** MSS, SACK permitted, window scale and timestamps as the segment carries them (none on a RST). */
  options: TcpHeaderOptions;
  data: Uint8Array;
}

export interface UdpDatagram {
  kind: "udp";
  srcPort: number;
  dstPort: number;
  data: Uint8Array;
}

/** IP-in-IP (protocol 4): a whole IPv4 packet as the payload, as Calico's tunl0 sends it. */
export interface IpipPacket {
  kind: "ipip";
  inner: Ipv4Payload;
}

/**
 * A piece of a fragmented datagram (RFC 791): raw bytes of the datagram's
 * payload, from `offset`. Only the whole datagram has a transport header to
 * act on, so the stack holds fragments as bytes until reassembly
 * (ip-reassembly.ts) parses the joined payload.
 */
export interface Ipv4Fragment {
  kind: "fragment";
  protocol: number;
  /** Bytes from the start of the datagram's payload; a multiple of 8. */
  offset: number;
  /** MF: more fragments follow. */
  more: boolean;
  data: Uint8Array;
}

export const IP_PROTOCOL = { icmp: 1, ipip: 4, tcp: 6, udp: 17 } as const;

export function l4Protocol(l4: L4): number {
  switch (l4.kind) {
    case "icmp-echo":
    case "icmp-error":
      return IP_PROTOCOL.icmp;
    case "tcp":
      return IP_PROTOCOL.tcp;
    case "udp":
      return IP_PROTOCOL.udp;
    case "ipip":
      return IP_PROTOCOL.ipip;
    case "fragment":
      return l4.protocol;
  }
}

/** Bytes of an L4 payload as encoded (the IPv4 header's 20 bytes not included). */
export function l4Length(l4: L4): number {
  switch (l4.kind) {
    case "icmp-echo":
      return 8 + l4.data.length;
    case "icmp-error":
      return 8 + l4.quoted.bytes.length;
    case "tcp":
      return 20 + tcpOptionsLength(l4.options) + l4.data.length;
    case "udp":
      return 8 + l4.data.length;
    case "ipip":
      return 20 + l4Length(l4.inner.l4);
    case "fragment":
      return l4.data.length;
  }
}
