/**
 * Builds a whole frame (Ethernet → ARP | IPv4 → ICMP | TCP | UDP | VXLAN → inner
 * frame | IPIP) in one allocation: lengths are summed first, then each layer is
 * written in place, innermost checksum inputs before the checksums that cover
 * them. This is the engine's hot path, so no intermediate arrays or strings.
 *
 * Specs leave out what follows from their shape (EtherType, IP protocol,
 * lengths), so a frame cannot claim IPv4 while carrying ARP. Decoding frames for
 * display lives in packet.ts.
 */
import { ARP_LENGTH, emitArp, type ArpRepr } from "./arp.js";
import { put16 } from "./bytes.js";
import { ETHERNET_HEADER_LENGTH, EtherType } from "./ethernet.js";
import { emitIcmp, icmpLength, type IcmpRepr } from "./icmp.js";
import { emitIpv4Header, IPV4_HEADER_LENGTH, IPV4_MAX_LENGTH, IpProtocol, type Ipv4Repr } from "./ipv4.js";
import { writeMac, type MacAddress } from "./mac-address.js";
import { emitTcpHeader, tcpHeaderLength, type TcpRepr } from "./tcp.js";
import { emitUdpHeader, UDP_HEADER_LENGTH, type UdpRepr } from "./udp.js";
import { emitVxlanHeader, VXLAN_HEADER_LENGTH } from "./vxlan.js";

export interface FrameSpec {
  readonly dst: MacAddress;
  readonly src: MacAddress;
  readonly payload: EtherPayloadSpec;
}

export type EtherPayloadSpec =
  | { readonly kind: "arp"; readonly arp: ArpRepr }
  | ({ readonly kind: "ipv4" } & Ipv4PacketSpec)
  | { readonly kind: "raw"; readonly etherType: number; readonly bytes: Uint8Array };

/** IPv4 header fields minus the protocol, which the payload's kind decides. */
export type Ipv4HeaderSpec = Omit<Ipv4Repr, "protocol">;

export interface Ipv4PacketSpec {
  readonly header: Ipv4HeaderSpec;
  readonly payload: IpPayloadSpec;
}

export type IpPayloadSpec =
  | { readonly kind: "icmp"; readonly icmp: IcmpRepr }
  | { readonly kind: "tcp"; readonly tcp: TcpRepr; readonly data: Uint8Array }
  /** checksum: default true; false sends 0 ("none"). */
  | { readonly kind: "udp"; readonly udp: UdpRepr; readonly data: Uint8Array; readonly checksum?: boolean }
  /** UDP carrying VXLAN carrying a whole inner frame; Linux VXLAN sends UDP checksum 0 unless `udpcsum`. */
  | { readonly kind: "vxlan"; readonly udp: UdpRepr; readonly vni: number; readonly inner: FrameSpec; readonly checksum?: boolean }
  | { readonly kind: "ipip"; readonly inner: Ipv4PacketSpec }
  | { readonly kind: "raw"; readonly protocol: number; readonly bytes: Uint8Array };

function ipPayloadLength(p: IpPayloadSpec): number {
  switch (p.kind) {
    case "icmp": return icmpLength(p.icmp);
    case "tcp": return tcpHeaderLength(p.tcp) + p.data.length;
    case "udp": return UDP_HEADER_LENGTH + p.data.length;
    case "vxlan": return UDP_HEADER_LENGTH + VXLAN_HEADER_LENGTH + frameLength(p.inner);
    case "ipip": return ipv4PacketLength(p.inner);
    case "raw": return p.bytes.length;
  }
}

function ipPayloadProtocol(p: IpPayloadSpec): number {
  switch (p.kind) {
    case "icmp": return IpProtocol.Icmp;
    case "tcp": return IpProtocol.Tcp;
    case "udp":
    case "vxlan": return IpProtocol.Udp;
    case "ipip": return IpProtocol.Ipip;
    case "raw": return p.protocol & 0xff;
  }
}

/** Total length of the IPv4 datagram a spec describes; RangeError past 65535. */
export function ipv4PacketLength(spec: Ipv4PacketSpec): number {
  const total = IPV4_HEADER_LENGTH + ipPayloadLength(spec.payload);
  if (total > IPV4_MAX_LENGTH) throw new RangeError(`IPv4 packet of ${total} bytes exceeds 65535`);
  return total;
}

export function frameLength(spec: FrameSpec): number {
  const p = spec.payload;
  switch (p.kind) {
    case "arp": return ETHERNET_HEADER_LENGTH + ARP_LENGTH;
    case "ipv4": return ETHERNET_HEADER_LENGTH + ipv4PacketLength(p);
    case "raw": return ETHERNET_HEADER_LENGTH + p.bytes.length;
  }
}

/** Writes an IPv4 datagram at buf[offset..) and returns its length. */
export function emitIpv4Packet(buf: Uint8Array, offset: number, spec: Ipv4PacketSpec): number {
  const payloadLength = ipPayloadLength(spec.payload);
  if (IPV4_HEADER_LENGTH + payloadLength > IPV4_MAX_LENGTH) {
    throw new RangeError(`IPv4 packet of ${IPV4_HEADER_LENGTH + payloadLength} bytes exceeds 65535`);
  }
  const h = spec.header;
  // Spelled out rather than spread: this runs once per simulated packet.
  const repr: Ipv4Repr = {
    src: h.src,
    dst: h.dst,
    protocol: ipPayloadProtocol(spec.payload),
    ttl: h.ttl,
    dscp: h.dscp,
    ecn: h.ecn,
    identification: h.identification,
    dontFragment: h.dontFragment,
    moreFragments: h.moreFragments,
    fragmentOffset: h.fragmentOffset,
  };
  emitIpv4Header(buf, offset, repr, payloadLength);
  const o = offset + IPV4_HEADER_LENGTH;
  const p = spec.payload;
  switch (p.kind) {
    case "icmp":
      emitIcmp(buf, o, p.icmp);
      break;
    case "tcp":
      buf.set(p.data, o + tcpHeaderLength(p.tcp));
      emitTcpHeader(buf, o, p.tcp, h.src, h.dst, p.data.length);
      break;
    case "udp":
      buf.set(p.data, o + UDP_HEADER_LENGTH);
      emitUdpHeader(buf, o, p.udp, h.src, h.dst, p.data.length, p.checksum !== false);
      break;
    case "vxlan": {
      const innerLength = emitFrame(buf, o + UDP_HEADER_LENGTH + VXLAN_HEADER_LENGTH, p.inner);
      emitVxlanHeader(buf, o + UDP_HEADER_LENGTH, { vni: p.vni });
      emitUdpHeader(buf, o, p.udp, h.src, h.dst, VXLAN_HEADER_LENGTH + innerLength, p.checksum === true);
      break;
    }
    case "ipip":
      emitIpv4Packet(buf, o, p.inner);
      break;
    case "raw":
      buf.set(p.bytes, o);
      break;
  }
  return IPV4_HEADER_LENGTH + payloadLength;
}

/** Writes the frame at buf[offset..) and returns its length; buf must have frameLength(spec) bytes free there. */
export function emitFrame(buf: Uint8Array, offset: number, spec: FrameSpec): number {
  const p = spec.payload;
  const o = offset + ETHERNET_HEADER_LENGTH;
  writeMac(buf, offset, spec.dst);
  writeMac(buf, offset + 6, spec.src);
  switch (p.kind) {
    case "arp":
      put16(buf, offset + 12, EtherType.Arp);
      emitArp(buf, o, p.arp);
      return ETHERNET_HEADER_LENGTH + ARP_LENGTH;
    case "ipv4":
      put16(buf, offset + 12, EtherType.Ipv4);
      return ETHERNET_HEADER_LENGTH + emitIpv4Packet(buf, o, p);
    case "raw":
      put16(buf, offset + 12, p.etherType & 0xffff);
      buf.set(p.bytes, o);
      return ETHERNET_HEADER_LENGTH + p.bytes.length;
  }
}

/*
 * V8 keeps typed arrays of up to 64 bytes on the JS heap but gives larger ones
 * their own malloc'd backing store, which made `new Uint8Array(98)` for a ping
 * cost 6× the encoding itself. Frames are therefore carved out of shared 256 KiB
 * slabs, as Node's Buffer pool does. Each frame is a view of exactly its own
 * bytes; slabs are never reused, so a frame's bytes cannot change under it.
 * Consumers must honour byteOffset/byteLength rather than reading `.buffer`.
 */
const SLAB_SIZE = 256 * 1024;
const SLAB_MAX_FRAME = 16 * 1024;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabUsed = 0;

function allocate(length: number): Uint8Array {
  if (length > SLAB_MAX_FRAME) return new Uint8Array(length);
  if (slabUsed + length > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabUsed = 0;
  }
  const out = new Uint8Array(slab, slabUsed, length);
  slabUsed += (length + 7) & ~7;
  return out;
}

/** The frame's bytes; a view into a shared slab (see above), never written again. */
export function encodeFrame(spec: FrameSpec): Uint8Array {
  const out = allocate(frameLength(spec));
  emitFrame(out, 0, spec);
  return out;
}

/** A bare IPv4 datagram (for ICMP error quotes, IPIP payloads, tests). */
export function encodeIpv4Packet(spec: Ipv4PacketSpec): Uint8Array {
  const out = allocate(ipv4PacketLength(spec));
  emitIpv4Packet(out, 0, spec);
  return out;
}
