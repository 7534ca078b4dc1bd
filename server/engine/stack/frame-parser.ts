/**
 * Bytes → the stack's typed payload: the inverse of frame-builder.ts, for
 * frames that arrive as bytes (decapsulated from VXLAN, read from a TUN
 * device by a user-space daemon, unwrapped from IPIP). Checksums are
 * verified; a frame that does not parse is reported with the reason.
 */
import type { Frame } from "../link/frame.js";
import type { Ipv4Payload, L4, Payload, QuotedDatagram } from "../link/payload.js";
import { decodeArp } from "../wire/arp.js";
import { decodeEthernet, EtherType } from "../wire/ethernet.js";
import { decodeIcmp, parseQuotedDatagram } from "../wire/icmp.js";
import { decodeIpv4 } from "../wire/ipv4.js";
import { formatMac } from "../wire/mac-address.js";
import { decodeFrameLayers, frameSummary } from "../trace/frame-layers.js";
import { decodeTcp } from "../wire/tcp.js";
import { decodeUdp } from "../wire/udp.js";
import { err, ok, type Result } from "../wire/result.js";

/** A whole datagram's payload → its typed L4 (also used on the joined payload of a reassembled datagram). */
export function parseL4(protocol: number, src: number, dst: number, bytes: Uint8Array): Result<L4> {
  switch (protocol) {
    case 1: {
      const d = decodeIcmp(bytes);
      if (!d.ok) return d;
      const r = d.value.repr;
      switch (r.type) {
        case "echo-request":
        case "echo-reply":
          return ok({ kind: "icmp-echo", type: r.type === "echo-request" ? "request" : "reply", id: r.identifier, seq: r.sequence, data: r.data });
        case "destination-unreachable":
        case "time-exceeded": {
          const q = parseQuotedDatagram(r.original);
          const transport = q?.transport;
          const isEcho = q !== null && q.protocol === 1 && transport !== undefined && transport.length >= 8;
          const quoted: QuotedDatagram = {
            bytes: r.original,
            src: q?.src ?? 0,
            dst: q?.dst ?? 0,
            protocol: q?.protocol ?? 0,
            icmpId: isEcho ? (transport![4]! << 8) | transport![5]! : null,
            icmpSeq: isEcho ? (transport![6]! << 8) | transport![7]! : null,
            srcPort: q?.srcPort ?? null,
            dstPort: q?.dstPort ?? null,
          };
          return ok({ kind: "icmp-error", type: r.type === "time-exceeded" ? 11 : 3, code: r.code, nextHopMtu: "nextHopMtu" in r ? r.nextHopMtu : 0, quoted });
        }
        case "other":
          return err(`ICMP type ${r.icmpType} is not simulated`);
      }
      return err("unknown ICMP message");
    }
    case 6: {
      const d = decodeTcp(bytes, src as never, dst as never);
      if (!d.ok) return d;
      const t = d.value.repr;
      return ok({
        kind: "tcp",
        srcPort: t.srcPort,
        dstPort: t.dstPort,
        seq: t.seq,
        ack: t.ack,
        flags: { syn: t.flags.syn, ack: t.flags.ack, fin: t.flags.fin, rst: t.flags.rst, psh: t.flags.psh },
        window: t.window,
        options: {
          ...(t.mss !== undefined ? { mss: t.mss } : {}),
          ...(t.sackPermitted === true ? { sackPermitted: true } : {}),
          ...(t.windowScale !== undefined ? { windowScale: t.windowScale } : {}),
          ...(t.timestamps !== undefined ? { timestamps: t.timestamps } : {}),
        },
        data: d.value.payload,
      });
    }
    case 17: {
      const d = decodeUdp(bytes, src as never, dst as never);
      if (!d.ok) return d;
      return ok({ kind: "udp", srcPort: d.value.repr.srcPort, dstPort: d.value.repr.dstPort, data: d.value.payload });
    }
    case 4: {
      const inner = parseIpv4Packet(bytes);
      if (!inner.ok) return inner;
      return ok({ kind: "ipip", inner: inner.value });
    }
    default:
      return err(`IP protocol ${protocol} is not simulated`);
  }
}

/** An IPv4 packet's bytes (no Ethernet header) → its typed payload. */
export function parseIpv4Packet(bytes: Uint8Array): Result<Ipv4Payload> {
  const d = decodeIpv4(bytes);
  if (!d.ok) return d;
  const r = d.value.repr;
  if (r.moreFragments || r.fragmentOffset !== 0) {
    // A fragment stays bytes until its datagram is reassembled.
    const fragment: L4 = { kind: "fragment", protocol: r.protocol, offset: r.fragmentOffset * 8, more: r.moreFragments, data: d.value.payload };
    return ok({ kind: "ipv4", src: r.src, dst: r.dst, ttl: r.ttl, tos: (r.dscp << 2) | r.ecn, id: r.identification, dontFragment: r.dontFragment, l4: fragment });
  }
  const l4 = parseL4(r.protocol, r.src, r.dst, d.value.payload);
  if (!l4.ok) return l4;
  return ok({ kind: "ipv4", src: r.src, dst: r.dst, ttl: r.ttl, tos: (r.dscp << 2) | r.ecn, id: r.identification, dontFragment: r.dontFragment, l4: l4.value });
}

/** A whole Ethernet frame's bytes → a Frame the devices and stack can carry. */
export function parseFrame(bytes: Uint8Array, packetId: number): Result<Frame> {
  const e = decodeEthernet(bytes);
  if (!e.ok) return e;
  const { repr, payload: body } = e.value;
  let payload: Payload;
  if (repr.etherType === EtherType.Arp) {
    const a = decodeArp(body);
    if (!a.ok) return a;
    const v = a.value;
    payload = { kind: "arp", op: v.operation, senderMac: formatMac(v.senderMac), senderIp: v.senderIp, targetMac: formatMac(v.targetMac), targetIp: v.targetIp };
  } else if (repr.etherType === EtherType.Ipv4) {
    const p = parseIpv4Packet(body);
    if (!p.ok) return p;
    payload = p.value;
  } else {
    return err(`EtherType 0x${repr.etherType.toString(16).padStart(4, "0")} is not simulated`);
  }
  const layers = decodeFrameLayers(bytes);
  return ok({ packetId, src: formatMac(repr.src), dst: formatMac(repr.dst), bytes, layers, summary: frameSummary(layers), payload });
}
