// UDP: pseudo-header checksum, the 0 → 0xffff rule, "no checksum", length field handling.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { internetChecksum } from "../../../server/engine/wire/checksum.js";
import { ipv4, parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";
import { decodeUdp, encodeUdp } from "../../../server/engine/wire/udp.js";

const src = parseIpv4OrThrow("172.17.0.2");
const dst = parseIpv4OrThrow("172.17.0.3");

function checksumField(b: Uint8Array): number {
  return (b[6]! << 8) | b[7]!;
}

describe("udp", () => {
  it("lays out ports, length and a checksum that verifies with the pseudo-header", () => {
    const d = encodeUdp({ srcPort: 40000, dstPort: 9999 }, src, dst, Uint8Array.of(104, 101, 108, 108, 111));
    expect(Buffer.from(d.subarray(0, 6)).toString("hex")).toBe("9c40270f000d");
    const pseudo = Uint8Array.of(0xac, 0x11, 0, 2, 0xac, 0x11, 0, 3, 0, 17, 0, 13);
    const whole = new Uint8Array(12 + d.length);
    whole.set(pseudo);
    whole.set(d, 12);
    expect(internetChecksum(whole)).toBe(0);
  });

  it("sends a computed checksum of 0 as 0xffff", () => {
    // With a 2-byte payload of 0000 the checksum is C; a payload of C makes the sum 0xffff, so the checksum computes to 0.
    const c = checksumField(encodeUdp({ srcPort: 1, dstPort: 2 }, src, dst, Uint8Array.of(0, 0)));
    const d = encodeUdp({ srcPort: 1, dstPort: 2 }, src, dst, Uint8Array.of(c >>> 8, c & 0xff));
    expect(checksumField(d)).toBe(0xffff);
    expect(decodeUdp(d, src, dst).ok).toBe(true);
  });

  it("can omit the checksum, and decoding treats 0 as none", () => {
    const d = encodeUdp({ srcPort: 34567, dstPort: 4789 }, src, dst, Uint8Array.of(1, 2, 3), { checksum: false });
    expect(checksumField(d)).toBe(0);
    const decoded = decodeUdp(d, src, parseIpv4OrThrow("10.9.9.9"));
    expect(decoded).toEqual({ ok: true, value: { repr: { srcPort: 34567, dstPort: 4789 }, checksum: 0, payload: Uint8Array.of(1, 2, 3) } });
  });

  it("cuts the payload at the length field and rejects impossible lengths", () => {
    const d = encodeUdp({ srcPort: 1, dstPort: 2 }, src, dst, Uint8Array.of(7, 7));
    const padded = new Uint8Array(d.length + 6);
    padded.set(d);
    const decoded = decodeUdp(padded, src, dst);
    expect(decoded.ok && Array.from(decoded.value.payload)).toEqual([7, 7]);
    expect(decodeUdp(d.subarray(0, 7), src, dst)).toEqual({ ok: false, error: "UDP datagram too short: 7 bytes, need at least 8" });
    const short = d.slice();
    short[5] = 4;
    expect(decodeUdp(short, src, dst)).toEqual({ ok: false, error: "UDP length field 4 is less than the header size 8" });
    const long = d.slice();
    long[5] = 200;
    expect(decodeUdp(long, src, dst)).toEqual({ ok: false, error: "UDP length field 200 exceeds the 10 bytes available" });
  });

  it("rejects a bad checksum with the expected value", () => {
    const d = encodeUdp({ srcPort: 1, dstPort: 2 }, src, dst, Uint8Array.of(0xab));
    const good = checksumField(d);
    const bad = d.slice();
    const wrongValue = good === 0x1234 ? 0x4321 : 0x1234;
    bad[6] = wrongValue >>> 8;
    bad[7] = wrongValue & 0xff;
    const wrong = checksumField(bad);
    expect(decodeUdp(bad, src, dst)).toEqual({
      ok: false,
      error: `UDP checksum 0x${wrong.toString(16).padStart(4, "0")} is wrong (expected 0x${good.toString(16).padStart(4, "0")})`,
    });
    expect(decodeUdp(bad, src, dst, { verifyChecksum: false }).ok).toBe(true);
  });

  it("refuses datagrams over 65535 bytes", () => {
    expect(() => encodeUdp({ srcPort: 1, dstPort: 2 }, src, dst, new Uint8Array(65528))).toThrow(RangeError);
  });

  it("round-trips random datagrams", () => {
    fc.assert(
      fc.property(
        fc.record({ srcPort: fc.integer({ min: 0, max: 0xffff }), dstPort: fc.integer({ min: 0, max: 0xffff }) }),
        fc.integer({ min: 0, max: 0xffffffff }).map(ipv4),
        fc.integer({ min: 0, max: 0xffffffff }).map(ipv4),
        fc.uint8Array({ maxLength: 1472 }),
        (repr, s, d, payload) => {
          const bytes = encodeUdp(repr, s, d, payload);
          expect(checksumField(bytes)).not.toBe(0);
          const decoded = decodeUdp(bytes, s, d);
          expect(decoded.ok && decoded.value.repr).toEqual(repr);
          expect(decoded.ok && decoded.value.payload).toEqual(payload);
        },
      ),
    );
  });
});
