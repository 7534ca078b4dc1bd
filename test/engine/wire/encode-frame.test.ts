// One-allocation frame building: same bytes as layering the per-protocol encoders, protocol fields derived from the spec.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { decodeArp, encodeArp, type ArpRepr } from "../../../server/engine/wire/arp.js";
import {
  emitFrame,
  encodeFrame,
  encodeIpv4Packet,
  frameLength,
  ipv4PacketLength,
  type FrameSpec,
  type Ipv4HeaderSpec,
} from "../../../server/engine/wire/encode-frame.js";
import { EtherType, decodeEthernet, encodeEthernet } from "../../../server/engine/wire/ethernet.js";
import { decodeIcmp, encodeIcmp, type IcmpRepr } from "../../../server/engine/wire/icmp.js";
import { ipv4, parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";
import { IpProtocol, decodeIpv4, encodeIpv4 } from "../../../server/engine/wire/ipv4.js";
import { BROADCAST_MAC, ZERO_MAC, parseMacOrThrow, type MacAddress } from "../../../server/engine/wire/mac-address.js";
import { decodeTcp, encodeTcp, tcpFlags, type TcpRepr } from "../../../server/engine/wire/tcp.js";
import { decodeUdp, encodeUdp } from "../../../server/engine/wire/udp.js";
import { decodeFrame } from "../../../server/engine/wire/packet.js";
import { decodeVxlan, encodeVxlan } from "../../../server/engine/wire/vxlan.js";

const macA = parseMacOrThrow("02:42:ac:11:00:02");
const macB = parseMacOrThrow("02:42:ac:11:00:03");
const a = parseIpv4OrThrow("172.17.0.2");
const b = parseIpv4OrThrow("172.17.0.3");
const header: Ipv4HeaderSpec = { src: a, dst: b, ttl: 64, dscp: 0, ecn: 0, identification: 0x1c46, dontFragment: true, moreFragments: false, fragmentOffset: 0 };
const echo: IcmpRepr = { type: "echo-request", identifier: 1, sequence: 1, data: Uint8Array.from({ length: 56 }, (_, i) => i) };

describe("encode-frame", () => {
  it("builds an ARP frame identical to layering encodeArp and encodeEthernet", () => {
    const arp: ArpRepr = { operation: "request", senderMac: macA, senderIp: a, targetMac: ZERO_MAC, targetIp: b };
    const spec: FrameSpec = { dst: BROADCAST_MAC, src: macA, payload: { kind: "arp", arp } };
    const bytes = encodeFrame(spec);
    expect(bytes).toEqual(encodeEthernet({ dst: BROADCAST_MAC, src: macA, etherType: EtherType.Arp }, encodeArp(arp)));
    expect(bytes.length).toBe(42);
    expect(frameLength(spec)).toBe(42);
  });

  it("builds ICMP, TCP and UDP frames identical to layered encoding", () => {
    const layered = (protocol: number, l4: Uint8Array): Uint8Array =>
      encodeEthernet({ dst: macB, src: macA, etherType: EtherType.Ipv4 }, encodeIpv4({ ...header, protocol }, l4));
    expect(encodeFrame({ dst: macB, src: macA, payload: { kind: "ipv4", header, payload: { kind: "icmp", icmp: echo } } })).toEqual(
      layered(IpProtocol.Icmp, encodeIcmp(echo)),
    );
    const tcp: TcpRepr = { srcPort: 43512, dstPort: 80, seq: 1000, ack: 0, flags: tcpFlags({ syn: true }), window: 64240, urgent: 0, mss: 1460 };
    const data = Uint8Array.of(1, 2, 3);
    expect(encodeFrame({ dst: macB, src: macA, payload: { kind: "ipv4", header, payload: { kind: "tcp", tcp, data } } })).toEqual(
      layered(IpProtocol.Tcp, encodeTcp(tcp, a, b, data)),
    );
    expect(
      encodeFrame({ dst: macB, src: macA, payload: { kind: "ipv4", header, payload: { kind: "udp", udp: { srcPort: 5, dstPort: 6 }, data } } }),
    ).toEqual(layered(IpProtocol.Udp, encodeUdp({ srcPort: 5, dstPort: 6 }, a, b, data)));
    expect(
      encodeFrame({ dst: macB, src: macA, payload: { kind: "ipv4", header, payload: { kind: "raw", protocol: 47, bytes: data } } }),
    ).toEqual(layered(47, data));
  });

  it("nests a VXLAN inner frame with UDP checksum 0 by default, as Linux does", () => {
    const u1 = parseIpv4OrThrow("192.168.0.1");
    const u2 = parseIpv4OrThrow("192.168.0.2");
    const inner: FrameSpec = { dst: macB, src: macA, payload: { kind: "ipv4", header, payload: { kind: "icmp", icmp: echo } } };
    const outerHeader = { ...header, src: u1, dst: u2 };
    const spec: FrameSpec = {
      dst: parseMacOrThrow("52:54:00:00:00:02"),
      src: parseMacOrThrow("52:54:00:00:00:01"),
      payload: { kind: "ipv4", header: outerHeader, payload: { kind: "vxlan", udp: { srcPort: 34567, dstPort: 4789 }, vni: 42, inner } },
    };
    const bytes = encodeFrame(spec);
    const innerBytes = encodeFrame(inner);
    expect(bytes.length).toBe(14 + 20 + 8 + 8 + innerBytes.length);
    expect(bytes).toEqual(
      encodeEthernet(
        { dst: spec.dst, src: spec.src, etherType: EtherType.Ipv4 },
        encodeIpv4({ ...outerHeader, protocol: IpProtocol.Udp }, encodeUdp({ srcPort: 34567, dstPort: 4789 }, u1, u2, encodeVxlan({ vni: 42 }, innerBytes), { checksum: false })),
      ),
    );
    const withSum = encodeFrame({ ...spec, payload: { kind: "ipv4", header: outerHeader, payload: { kind: "vxlan", udp: { srcPort: 34567, dstPort: 4789 }, vni: 42, inner, checksum: true } } });
    const ip = decodeIpv4(withSum.subarray(14));
    const udp = ip.ok ? decodeUdp(ip.value.payload, u1, u2) : null;
    expect(udp?.ok && udp.value.checksum).not.toBe(0);
    const vx = udp?.ok ? decodeVxlan(udp.value.payload) : null;
    expect(vx?.ok && vx.value.payload).toEqual(innerBytes);
  });

  it("carries IPIP with protocol 4", () => {
    const inner = { header, payload: { kind: "icmp" as const, icmp: echo } };
    const bytes = encodeFrame({ dst: macB, src: macA, payload: { kind: "ipv4", header: { ...header, src: ipv4(1), dst: ipv4(2) }, payload: { kind: "ipip", inner } } });
    const outer = decodeIpv4(bytes.subarray(14));
    expect(outer.ok && outer.value.repr.protocol).toBe(IpProtocol.Ipip);
    expect(outer.ok && outer.value.payload).toEqual(encodeIpv4Packet(inner));
    expect(ipv4PacketLength(inner)).toBe(84);
  });

  it("writes at an offset of a larger buffer without touching the rest", () => {
    const spec: FrameSpec = { dst: macB, src: macA, payload: { kind: "raw", etherType: 0x88b5, bytes: Uint8Array.of(9, 9) } };
    const buf = new Uint8Array(40).fill(0xcc);
    expect(emitFrame(buf, 5, spec)).toBe(16);
    expect(buf.subarray(5, 21)).toEqual(encodeFrame(spec));
    expect(buf[4]).toBe(0xcc);
    expect(buf[21]).toBe(0xcc);
  });

  it("gives every frame its own bytes even though frames share allocation slabs", () => {
    // 5000 × 98 bytes spans two 256 KiB slabs.
    const built = Array.from({ length: 5000 }, (_, i) =>
      encodeFrame({ dst: macB, src: macA, payload: { kind: "ipv4", header: { ...header, identification: i }, payload: { kind: "icmp", icmp: { ...echo, sequence: i } as IcmpRepr } } }),
    );
    built.forEach((bytes, i) => {
      expect(bytes.byteLength).toBe(98);
      const layers = decodeFrame(bytes);
      expect(layers[1]).toMatchObject({ kind: "ipv4", identification: i });
      expect(layers[2]).toMatchObject({ kind: "icmp", sequence: i });
    });
    const big = encodeFrame({ dst: macB, src: macA, payload: { kind: "raw", etherType: 0x88b5, bytes: new Uint8Array(20000).fill(1) } });
    expect(big.byteLength).toBe(20014);
    expect(big[20013]).toBe(1);
  });

  it("refuses a datagram over 65535 bytes", () => {
    const huge: FrameSpec = { dst: macB, src: macA, payload: { kind: "ipv4", header, payload: { kind: "raw", protocol: 17, bytes: new Uint8Array(65516) } } };
    expect(() => frameLength(huge)).toThrow(RangeError);
    expect(() => encodeFrame(huge)).toThrow("IPv4 packet of 65536 bytes exceeds 65535");
  });

  it("round-trips random ICMP/TCP/UDP frames through the strict decoders", () => {
    const macArb = fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((n) => n as MacAddress);
    const ipArb = fc.integer({ min: 0, max: 0xffffffff }).map(ipv4);
    const u16 = fc.integer({ min: 0, max: 0xffff });
    const headerArb: fc.Arbitrary<Ipv4HeaderSpec> = fc.record({
      src: ipArb,
      dst: ipArb,
      ttl: fc.integer({ min: 0, max: 255 }),
      dscp: fc.integer({ min: 0, max: 63 }),
      ecn: fc.integer({ min: 0, max: 3 }),
      identification: u16,
      dontFragment: fc.boolean(),
      moreFragments: fc.constant(false),
      fragmentOffset: fc.constant(0),
    });
    fc.assert(
      fc.property(macArb, macArb, headerArb, u16, u16, fc.uint8Array({ maxLength: 300 }), fc.constantFrom("icmp", "tcp", "udp"), (dst, src, h, p1, p2, data, kind) => {
        const tcp: TcpRepr = { srcPort: p1, dstPort: p2, seq: p1 * 7, ack: p2 * 11, flags: tcpFlags({ ack: true }), window: p1, urgent: 0 };
        const spec: FrameSpec = {
          dst,
          src,
          payload: {
            kind: "ipv4",
            header: h,
            payload:
              kind === "icmp"
                ? { kind: "icmp", icmp: { type: "echo-reply", identifier: p1, sequence: p2, data } }
                : kind === "tcp"
                  ? { kind: "tcp", tcp, data }
                  : { kind: "udp", udp: { srcPort: p1, dstPort: p2 }, data },
          },
        };
        const bytes = encodeFrame(spec);
        expect(bytes.length).toBe(frameLength(spec));
        const eth = decodeEthernet(bytes);
        expect(eth.ok && eth.value.repr).toEqual({ dst, src, etherType: EtherType.Ipv4 });
        const ip = eth.ok ? decodeIpv4(eth.value.payload) : null;
        expect(ip?.ok).toBe(true);
        if (!ip?.ok) return;
        const { protocol, ...rest } = ip.value.repr;
        expect(rest).toEqual(h);
        if (kind === "icmp") {
          expect(protocol).toBe(1);
          const m = decodeIcmp(ip.value.payload);
          expect(m.ok && m.value.repr).toEqual({ type: "echo-reply", identifier: p1, sequence: p2, data });
        } else if (kind === "tcp") {
          expect(protocol).toBe(6);
          const t = decodeTcp(ip.value.payload, h.src, h.dst);
          expect(t.ok && t.value.repr).toEqual(tcp);
          expect(t.ok && t.value.payload).toEqual(data);
        } else {
          expect(protocol).toBe(17);
          const u = decodeUdp(ip.value.payload, h.src, h.dst);
          expect(u.ok && u.value.payload).toEqual(data);
        }
      }),
    );
    expect(decodeArp(encodeArp({ operation: "reply", senderMac: macA, senderIp: a, targetMac: macB, targetIp: b })).ok).toBe(true);
  });
});
