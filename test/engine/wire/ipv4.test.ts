// IPv4 header: encoding with checksum, decoding with options, padding and every rejection.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { internetChecksum } from "../../../server/engine/wire/checksum.js";
import { ipv4, parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";
import {
  IPV4_HEADER_LENGTH,
  IpProtocol,
  decodeIpv4,
  emitIpv4Header,
  encodeIpv4,
  ipProtocolName,
  isFragment,
  type Ipv4Repr,
} from "../../../server/engine/wire/ipv4.js";

function hexBytes(text: string): Uint8Array {
  return Uint8Array.from(text.replace(/\s+/g, "").match(/../g)!.map((h) => parseInt(h, 16)));
}

const ipArb = fc.integer({ min: 0, max: 0xffffffff }).map(ipv4);
const reprArb: fc.Arbitrary<Ipv4Repr> = fc.record({
  src: ipArb,
  dst: ipArb,
  protocol: fc.integer({ min: 0, max: 255 }),
  ttl: fc.integer({ min: 0, max: 255 }),
  dscp: fc.integer({ min: 0, max: 63 }),
  ecn: fc.integer({ min: 0, max: 3 }),
  identification: fc.integer({ min: 0, max: 0xffff }),
  dontFragment: fc.boolean(),
  moreFragments: fc.boolean(),
  fragmentOffset: fc.integer({ min: 0, max: 0x1fff }),
});

/** The classic example: 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7. */
const classic: Ipv4Repr = {
  src: parseIpv4OrThrow("192.168.0.1"),
  dst: parseIpv4OrThrow("192.168.0.199"),
  protocol: IpProtocol.Udp,
  ttl: 64,
  dscp: 0,
  ecn: 0,
  identification: 0,
  dontFragment: true,
  moreFragments: false,
  fragmentOffset: 0,
};

describe("ipv4", () => {
  it("encodes the classic header with checksum b861", () => {
    const packet = encodeIpv4(classic, new Uint8Array(0x73 - 20));
    expect(Buffer.from(packet.subarray(0, 20)).toString("hex")).toBe("45000073000040004011b861c0a80001c0a800c7");
    expect(internetChecksum(packet, 0, 20)).toBe(0);
  });

  it("decodes the classic header and cuts the payload at Total Length", () => {
    const bytes = new Uint8Array(0x73 + 13); // trailing Ethernet padding
    bytes.set(hexBytes("4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7"));
    const decoded = decodeIpv4(bytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value.repr).toEqual(classic);
    expect(decoded.value.headerLength).toBe(20);
    expect(decoded.value.totalLength).toBe(0x73);
    expect(decoded.value.checksum).toBe(0xb861);
    expect(decoded.value.payload.length).toBe(0x73 - 20);
  });

  it("encodes tos, flags and fragment offset into their bits", () => {
    const repr: Ipv4Repr = { ...classic, dscp: 46, ecn: 2, dontFragment: false, moreFragments: true, fragmentOffset: 185, identification: 0xbeef, ttl: 1 };
    const b = encodeIpv4(repr, new Uint8Array(8));
    expect(b[1]).toBe((46 << 2) | 2);
    expect((b[6]! << 8) | b[7]!).toBe(0x2000 | 185);
    expect((b[4]! << 8) | b[5]!).toBe(0xbeef);
    expect(b[8]).toBe(1);
    expect(isFragment(repr)).toBe(true);
    expect(isFragment(classic)).toBe(false);
  });

  it("skips options using IHL", () => {
    const payload = Uint8Array.of(9, 8, 7);
    const packet = new Uint8Array(24 + payload.length);
    emitIpv4Header(packet, 0, classic, 4 + payload.length); // then widen to IHL 6 by hand
    packet[0] = 0x46;
    packet.set(Uint8Array.of(0x01, 0x01, 0x01, 0x00), 20); // NOP NOP NOP EOL
    packet.set(payload, 24);
    packet[10] = 0;
    packet[11] = 0;
    const sum = internetChecksum(packet, 0, 24);
    packet[10] = sum >>> 8;
    packet[11] = sum & 0xff;
    const decoded = decodeIpv4(packet);
    expect(decoded.ok && decoded.value.headerLength).toBe(24);
    expect(decoded.ok && Array.from(decoded.value.payload)).toEqual([9, 8, 7]);
    expect(decoded.ok && decoded.value.repr).toEqual(classic);
  });

  it("rejects malformed packets with precise errors", () => {
    const good = encodeIpv4(classic, new Uint8Array(80));
    const mutated = (mutate: (b: Uint8Array) => void, fix = false): unknown => {
      const b = good.slice();
      mutate(b);
      if (fix) {
        b[10] = 0;
        b[11] = 0;
        const s = internetChecksum(b, 0, (b[0]! & 0xf) * 4);
        b[10] = s >>> 8;
        b[11] = s & 0xff;
      }
      return decodeIpv4(b);
    };
    expect(decodeIpv4(good.subarray(0, 19))).toEqual({ ok: false, error: "IPv4 packet too short: 19 bytes, need at least 20" });
    expect(mutated((b) => (b[0] = 0x65))).toEqual({ ok: false, error: "IPv4 version field is 6, expected 4" });
    expect(mutated((b) => (b[0] = 0x44))).toEqual({ ok: false, error: "IPv4 header length 16 bytes is less than the minimum 20" });
    expect(decodeIpv4(Uint8Array.of(0x4f, ...new Uint8Array(30)))).toEqual({
      ok: false,
      error: "IPv4 header length 60 bytes exceeds the 31 bytes available",
    });
    expect(mutated((b) => ((b[2] = 0), (b[3] = 10)), true)).toEqual({ ok: false, error: "IPv4 total length 10 is less than the header length 20" });
    expect(decodeIpv4(good.subarray(0, 90))).toEqual({
      ok: false,
      error: "IPv4 total length 100 exceeds the 90 bytes available (truncated packet)",
    });
    const expected = (good[10]! << 8) | good[11]!;
    const wrong = (expected + 1) & 0xffff;
    expect(mutated((b) => ((b[10] = wrong >>> 8), (b[11] = wrong & 0xff)))).toEqual({
      ok: false,
      error: `IPv4 header checksum 0x${wrong.toString(16).padStart(4, "0")} is wrong (expected 0x${expected.toString(16).padStart(4, "0")})`,
    });
    expect(mutated((b) => (b[8] = 63))).toMatchObject({ ok: false, error: expect.stringMatching(/^IPv4 header checksum 0x[0-9a-f]{4} is wrong \(expected 0x[0-9a-f]{4}\)$/) });
    expect(decodeIpv4(good.slice().fill(0xaa, 10, 12), { verifyChecksum: false }).ok).toBe(true);
  });

  it("refuses to build a datagram over 65535 bytes", () => {
    expect(() => encodeIpv4(classic, new Uint8Array(65516))).toThrow(RangeError);
  });

  it("names protocols", () => {
    expect(ipProtocolName(1)).toBe("icmp");
    expect(ipProtocolName(4)).toBe("ipip");
    expect(ipProtocolName(47)).toBe("ip-proto-47");
  });

  it("round-trips random headers and payloads", () => {
    fc.assert(
      fc.property(reprArb, fc.uint8Array({ maxLength: 1480 }), (repr, payload) => {
        const decoded = decodeIpv4(encodeIpv4(repr, payload));
        expect(decoded).toEqual({
          ok: true,
          value: expect.objectContaining({ repr, payload, headerLength: IPV4_HEADER_LENGTH, totalLength: 20 + payload.length }),
        });
      }),
    );
  });
});
