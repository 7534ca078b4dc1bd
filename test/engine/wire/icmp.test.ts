// ICMP echo and error messages: layout, checksum, quoting, round trips and rejections.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { checksumAdjust, internetChecksum } from "../../../server/engine/wire/checksum.js";
import {
  LINUX_ICMP_QUOTE_LIMIT,
  decodeIcmp,
  encodeIcmp,
  icmpErrorQuote,
  icmpLength,
  parseQuotedDatagram,
  type IcmpRepr,
} from "../../../server/engine/wire/icmp.js";
import { parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";
import { IpProtocol, encodeIpv4 } from "../../../server/engine/wire/ipv4.js";
import { encodeUdp } from "../../../server/engine/wire/udp.js";

const a = parseIpv4OrThrow("172.17.0.2");
const b = parseIpv4OrThrow("172.17.0.3");
const header = { ttl: 64, dscp: 0, ecn: 0, identification: 7, dontFragment: true, moreFragments: false, fragmentOffset: 0 };

/** The datagram an error would quote: UDP 172.17.0.2:40000 → 172.17.0.3:9999 with `size` bytes of data. */
function udpDatagram(size: number): Uint8Array {
  const udp = encodeUdp({ srcPort: 40000, dstPort: 9999 }, a, b, new Uint8Array(size));
  return encodeIpv4({ ...header, src: a, dst: b, protocol: IpProtocol.Udp }, udp);
}

const u16 = fc.integer({ min: 0, max: 0xffff });
const data = fc.uint8Array({ maxLength: 600 });
const reprArb: fc.Arbitrary<IcmpRepr> = fc.oneof(
  fc.record({ type: fc.constantFrom("echo-request" as const, "echo-reply" as const), identifier: u16, sequence: u16, data }),
  fc.record({
    type: fc.constant("destination-unreachable" as const),
    code: fc.constantFrom(0, 1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 as const),
    original: data,
  }),
  fc.record({ type: fc.constant("destination-unreachable" as const), code: fc.constant(4 as const), nextHopMtu: u16, original: data }),
  fc.record({ type: fc.constant("time-exceeded" as const), code: fc.constantFrom(0 as const, 1 as const), original: data }),
  fc.record({
    type: fc.constant("other" as const),
    icmpType: fc.integer({ min: 0, max: 255 }).filter((t) => ![0, 3, 8, 11].includes(t)),
    code: fc.integer({ min: 0, max: 255 }),
    rest: fc.uint8Array({ minLength: 4, maxLength: 100 }),
  }),
) as fc.Arbitrary<IcmpRepr>;

describe("icmp", () => {
  it("encodes an echo request whose checksum verifies over the whole message", () => {
    const payload = Uint8Array.from({ length: 56 }, (_, i) => i);
    const bytes = encodeIcmp({ type: "echo-request", identifier: 0x1234, sequence: 1, data: payload });
    expect(bytes.length).toBe(64);
    expect(Array.from(bytes.subarray(0, 2))).toEqual([8, 0]);
    expect(Array.from(bytes.subarray(4, 8))).toEqual([0x12, 0x34, 0x00, 0x01]);
    expect(internetChecksum(bytes)).toBe(0);
    // By hand: 0800 + 1234 + 0001 + the words 0001 0203 … 3637 = 0x31145, folded 0x1148, complemented 0xeeb7.
    expect(((bytes[2]! << 8) | bytes[3]!).toString(16)).toBe("eeb7");
  });

  it("puts the next-hop MTU in the second half of the unused word for code 4", () => {
    const original = icmpErrorQuote(udpDatagram(0));
    const bytes = encodeIcmp({ type: "destination-unreachable", code: 4, nextHopMtu: 1400, original });
    expect(Array.from(bytes.subarray(0, 2))).toEqual([3, 4]);
    expect(Array.from(bytes.subarray(4, 8))).toEqual([0, 0, 0x05, 0x78]);
    expect(Array.from(bytes.subarray(8))).toEqual(Array.from(original));
    expect(internetChecksum(bytes)).toBe(0);
  });

  it("quotes as Linux does: the whole datagram up to 548 bytes", () => {
    expect(icmpErrorQuote(udpDatagram(5)).length).toBe(33);
    expect(icmpErrorQuote(udpDatagram(1000)).length).toBe(LINUX_ICMP_QUOTE_LIMIT);
    expect(icmpErrorQuote(udpDatagram(1000), 28).length).toBe(28);
    const repr: IcmpRepr = { type: "time-exceeded", code: 0, original: icmpErrorQuote(udpDatagram(1000)) };
    expect(icmpLength(repr) + 20).toBe(576);
  });

  it("reads the quoted datagram back (addresses, protocol, ports)", () => {
    const q = parseQuotedDatagram(icmpErrorQuote(udpDatagram(5), 28));
    expect(q).toEqual({
      src: a,
      dst: b,
      protocol: IpProtocol.Udp,
      totalLength: 33,
      srcPort: 40000,
      dstPort: 9999,
      transport: expect.any(Uint8Array),
    });
    expect(q?.transport.length).toBe(8);
    expect(parseQuotedDatagram(new Uint8Array(19))).toBeNull();
    expect(parseQuotedDatagram(Uint8Array.of(0x65, ...new Uint8Array(30)))).toBeNull();
  });

  it("decodes unknown types and non-zero echo codes as `other`, losing nothing", () => {
    const redirect = encodeIcmp({ type: "other", icmpType: 5, code: 1, rest: Uint8Array.of(10, 0, 0, 1, 1, 2, 3) });
    expect(decodeIcmp(redirect)).toEqual({
      ok: true,
      value: { repr: { type: "other", icmpType: 5, code: 1, rest: Uint8Array.of(10, 0, 0, 1, 1, 2, 3) }, checksum: expect.any(Number) },
    });
    const oddEcho = encodeIcmp({ type: "other", icmpType: 8, code: 1, rest: new Uint8Array(4) });
    expect(decodeIcmp(oddEcho).ok && (decodeIcmp(oddEcho) as { value: { repr: IcmpRepr } }).value.repr.type).toBe("other");
  });

  it("rejects short messages and bad checksums", () => {
    expect(decodeIcmp(new Uint8Array(7))).toEqual({ ok: false, error: "ICMP message too short: 7 bytes, need at least 8" });
    const bytes = encodeIcmp({ type: "echo-reply", identifier: 1, sequence: 2, data: Uint8Array.of(1, 2, 3) });
    const good = (bytes[2]! << 8) | bytes[3]!;
    bytes[8] = 9;
    const expected = checksumAdjust(good, 0x0102, 0x0902);
    expect(decodeIcmp(bytes)).toEqual({
      ok: false,
      error: `ICMP checksum 0x${good.toString(16).padStart(4, "0")} is wrong (expected 0x${expected.toString(16).padStart(4, "0")})`,
    });
    expect(decodeIcmp(bytes, { verifyChecksum: false }).ok).toBe(true);
  });

  it("round-trips every modelled message", () => {
    fc.assert(
      fc.property(reprArb, (repr) => {
        const bytes = encodeIcmp(repr);
        expect(bytes.length).toBe(icmpLength(repr));
        expect(internetChecksum(bytes)).toBe(0);
        const decoded = decodeIcmp(bytes);
        expect(decoded.ok && decoded.value.repr).toEqual(repr);
      }),
    );
  });
});
