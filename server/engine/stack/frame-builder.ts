/**
 * Turns the stack's typed payloads into real frames: bytes from the wire/
 * encoders (valid checksums, so captures open cleanly), the decoded view for
 * trace events, and a one-line summary. The view is decoded from the bytes, so
 * what a trace shows is exactly what a capture would hold.
 */
import type { Frame } from "../link/frame.js";
import type { Ipv4Payload, L4, Payload } from "../link/payload.js";
import { encodeFrame, encodeIpv4Packet, type IpPayloadSpec, type Ipv4PacketSpec } from "../wire/encode-frame.js";
import type { IcmpRepr } from "../wire/icmp.js";
import type { Ipv4Address } from "../wire/ipv4-address.js";
import { parseMacOrThrow, type MacAddress } from "../wire/mac-address.js";
import { decodeFrameLayers, frameSummary } from "../trace/frame-layers.js";

const macCache = new Map<string, MacAddress>();
function mac(text: string): MacAddress {
  let m = macCache.get(text);
  if (m === undefined) {
    m = parseMacOrThrow(text);
    if (macCache.size < 65536) macCache.set(text, m);
  }
  return m;
}

function icmpRepr(l4: Extract<L4, { kind: "icmp-echo" | "icmp-error" }>): IcmpRepr {
  if (l4.kind === "icmp-echo") {
    return { type: l4.type === "request" ? "echo-request" : "echo-reply", identifier: l4.id, sequence: l4.seq, data: l4.data };
  }
  if (l4.type === 11) return { type: "time-exceeded", code: l4.code === 1 ? 1 : 0, original: l4.quoted.bytes };
  if (l4.code === 4) return { type: "destination-unreachable", code: 4, nextHopMtu: l4.nextHopMtu, original: l4.quoted.bytes };
  return { type: "destination-unreachable", code: l4.code as 0 | 1 | 2 | 3, original: l4.quoted.bytes };
}

function ipPayload(l4: L4): IpPayloadSpec {
  switch (l4.kind) {
    case "icmp-echo":
    case "icmp-error":
      return { kind: "icmp", icmp: icmpRepr(l4) };
    case "tcp":
      return {
        kind: "tcp",
        tcp: { srcPort: l4.srcPort, dstPort: l4.dstPort, seq: l4.seq, ack: l4.ack, flags: { fin: l4.flags.fin, syn: l4.flags.syn, rst: l4.flags.rst, psh: l4.flags.psh, ack: l4.flags.ack, urg: false, ece: false, cwr: false }, window: l4.window, urgent: 0, ...l4.options },
        data: l4.data,
      };
    case "udp":
      return { kind: "udp", udp: { srcPort: l4.srcPort, dstPort: l4.dstPort }, data: l4.data };
    case "ipip":
      return { kind: "ipip", inner: ipv4Spec(l4.inner) };
    case "fragment":
      return { kind: "raw", protocol: l4.protocol, bytes: l4.data };
  }
}

function ipv4Spec(p: Ipv4Payload): Ipv4PacketSpec {
  return {
    header: {
      src: p.src as Ipv4Address,
      dst: p.dst as Ipv4Address,
      ttl: p.ttl,
      dscp: p.tos >>> 2,
      ecn: p.tos & 3,
      identification: p.id,
      dontFragment: p.dontFragment,
      moreFragments: p.l4.kind === "fragment" && p.l4.more,
      // In 8-byte units on the wire.
      fragmentOffset: p.l4.kind === "fragment" ? p.l4.offset / 8 : 0,
    },
    payload: ipPayload(p.l4),
  };
}

export function buildFrame(src: string, dst: string, payload: Payload, packetId: number): Frame {
  const bytes = encodeFrame({
    dst: mac(dst),
    src: mac(src),
    payload:
      payload.kind === "arp"
        ? {
            kind: "arp",
            arp: { operation: payload.op, senderMac: mac(payload.senderMac), senderIp: payload.senderIp as Ipv4Address, targetMac: mac(payload.targetMac), targetIp: payload.targetIp as Ipv4Address },
          }
        : { kind: "ipv4", ...ipv4Spec(payload) },
  });
  const layers = decodeFrameLayers(bytes);
  return { packetId, src, dst, bytes, layers, summary: frameSummary(layers), payload };
}

export function encodePacket(p: Ipv4Payload): Uint8Array {
  return encodeIpv4Packet(ipv4Spec(p));
}
