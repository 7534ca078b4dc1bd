// TCP header: Linux's SYN option layout, pseudo-header checksum, option parsing and rejections.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { checksumAdd, checksumFinish, internetChecksum } from "../../../server/engine/wire/checksum.js";
import { ipv4, parseIpv4OrThrow, type Ipv4Address } from "../../../server/engine/wire/ipv4-address.js";
import {
  decodeTcp,
  encodeTcp,
  formatTcpFlags,
  formatTcpOption,
  tcpFlags,
  tcpHeaderLength,
  type TcpRepr,
} from "../../../server/engine/wire/tcp.js";

const src = parseIpv4OrThrow("172.17.0.2");
const dst = parseIpv4OrThrow("172.17.0.3");

/** Independent check: build the pseudo-header as bytes and checksum it with the segment. */
function verifiesWithPseudoHeader(segment: Uint8Array, s: Ipv4Address, d: Ipv4Address): boolean {
  const buf = new Uint8Array(12 + segment.length);
  const v = new DataView(buf.buffer);
  v.setUint32(0, s);
  v.setUint32(4, d);
  v.setUint8(9, 6);
  v.setUint16(10, segment.length);
  buf.set(segment, 12);
  return internetChecksum(buf) === 0;
}

const syn: TcpRepr = {
  srcPort: 43512,
  dstPort: 80,
  seq: 1000,
  ack: 0,
  flags: tcpFlags({ syn: true }),
  window: 64240,
  urgent: 0,
};

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const flagsArb = fc.record({
  fin: fc.boolean(),
  syn: fc.boolean(),
  rst: fc.boolean(),
  psh: fc.boolean(),
  ack: fc.boolean(),
  urg: fc.boolean(),
  ece: fc.boolean(),
  cwr: fc.boolean(),
});
const reprArb: fc.Arbitrary<TcpRepr> = fc.record(
  {
    srcPort: u16,
    dstPort: u16,
    seq: u32,
    ack: u32,
    flags: flagsArb,
    window: u16,
    urgent: u16,
    mss: u16,
    windowScale: fc.integer({ min: 0, max: 14 }),
    sackPermitted: fc.constant(true),
    timestamps: fc.record({ value: u32, echo: u32 }),
  },
  { requiredKeys: ["srcPort", "dstPort", "seq", "ack", "flags", "window", "urgent"] },
);

describe("tcp", () => {
  it("encodes a bare SYN: 20-byte header, flags byte 0x02, valid checksum", () => {
    const seg = encodeTcp(syn, src, dst, new Uint8Array(0));
    expect(seg.length).toBe(20);
    // ports a9f8→0050, seq 000003e8, ack 0, offset 5, SYN, window faf0 (64240); then checksum, urgent 0.
    expect(Buffer.from(seg).toString("hex").slice(0, 32)).toBe("a9f80050000003e8000000005002faf0");
    expect(Array.from(seg.subarray(18))).toEqual([0, 0]);
    expect(seg[12]).toBe(0x50);
    expect(seg[13]).toBe(0x02);
    expect(verifiesWithPseudoHeader(seg, src, dst)).toBe(true);
  });

  it("writes SYN options in Linux's tcp_options_write layout", () => {
    const full = encodeTcp({ ...syn, mss: 1460, sackPermitted: true, timestamps: { value: 1, echo: 0 }, windowScale: 7 }, src, dst, new Uint8Array(0));
    expect(Buffer.from(full.subarray(20)).toString("hex")).toBe("020405b4" + "0402080a" + "00000001" + "00000000" + "01030307");
    expect(full[12]! >>> 4).toBe(10);
    const noTs = encodeTcp({ ...syn, mss: 1460, sackPermitted: true, windowScale: 7 }, src, dst, new Uint8Array(0));
    expect(Buffer.from(noTs.subarray(20)).toString("hex")).toBe("020405b4" + "01010402" + "01030307");
    const tsNoSack = encodeTcp({ ...syn, timestamps: { value: 5, echo: 6 } }, src, dst, new Uint8Array(0));
    expect(Buffer.from(tsNoSack.subarray(20)).toString("hex")).toBe("0101080a" + "00000005" + "00000006");
    const mssOnly = encodeTcp({ ...syn, mss: 1460 }, src, dst, new Uint8Array(0));
    expect(Buffer.from(mssOnly.subarray(20)).toString("hex")).toBe("020405b4");
    expect(tcpHeaderLength({ ...syn, mss: 1460, sackPermitted: false })).toBe(24);
  });

  it("decodes options in wire order, including ones it does not model", () => {
    const seg = encodeTcp({ ...syn, mss: 1460, sackPermitted: true, timestamps: { value: 1, echo: 0 }, windowScale: 7 }, src, dst, new Uint8Array(0));
    const decoded = decodeTcp(seg, src, dst);
    expect(decoded.ok && decoded.value.options.map(formatTcpOption).join(",")).toBe("mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7");
    // Hand-built: SACK block, an unknown option (kind 30, length 4) and a malformed one.
    const raw = new Uint8Array(40);
    raw.set(seg.subarray(0, 20));
    raw[12] = 10 << 4;
    raw.set(Uint8Array.of(1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2, 30, 4, 0, 0, 2, 1, 0, 0), 20);
    const sum = checksumFinish(checksumAdd(checksumAdd(checksumAdd(0, Uint8Array.of(0xac, 0x11, 0, 2, 0xac, 0x11, 0, 3, 0, 6, 0, 40)), raw, 0, 16), raw, 18));
    raw[16] = sum >>> 8;
    raw[17] = sum & 0xff;
    const odd = decodeTcp(raw, src, dst);
    expect(odd.ok && odd.value.options.map(formatTcpOption)).toEqual(["nop", "nop", "sack 1 {1:2}", "unknown-30", "bad opt"]);
    expect(odd.ok && odd.value.repr.mss).toBeUndefined();
  });

  it("formats flags like tcpdump", () => {
    expect(formatTcpFlags(tcpFlags({ syn: true, ack: true }))).toBe("S.");
    expect(formatTcpFlags(tcpFlags({ psh: true, ack: true }))).toBe("P.");
    expect(formatTcpFlags(tcpFlags({ fin: true, ack: true }))).toBe("F.");
    expect(formatTcpFlags(tcpFlags({ rst: true, urg: true, ece: true, cwr: true }))).toBe("RUEW");
    expect(formatTcpFlags(tcpFlags({}))).toBe("none");
  });

  it("rejects short segments, bad data offsets and bad checksums", () => {
    const seg = encodeTcp(syn, src, dst, Uint8Array.of(1, 2, 3, 4));
    expect(decodeTcp(seg.subarray(0, 19), src, dst)).toEqual({ ok: false, error: "TCP segment too short: 19 bytes, need at least 20" });
    const small = seg.slice();
    small[12] = 4 << 4;
    expect(decodeTcp(small, src, dst)).toEqual({ ok: false, error: "TCP data offset 16 bytes is less than the minimum 20" });
    const big = seg.slice();
    big[12] = 15 << 4;
    expect(decodeTcp(big, src, dst)).toEqual({ ok: false, error: "TCP data offset 60 bytes exceeds the 24-byte segment" });
    const checksum = (seg[16]! << 8) | seg[17]!;
    // The wrong pseudo-header (another destination) is the classic NAT bug this catches.
    const other = parseIpv4OrThrow("172.17.0.4");
    const r = decodeTcp(seg, src, other);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(new RegExp(`^TCP checksum 0x${checksum.toString(16).padStart(4, "0")} is wrong \\(expected 0x[0-9a-f]{4}\\)$`));
    const fixed = seg.slice();
    const expected = parseInt(/expected 0x([0-9a-f]{4})/.exec(!r.ok ? r.error : "")![1]!, 16);
    fixed[16] = expected >>> 8;
    fixed[17] = expected & 0xff;
    expect(decodeTcp(fixed, src, other).ok).toBe(true);
    expect(decodeTcp(seg, src, other, { verifyChecksum: false }).ok).toBe(true);
  });

  it("round-trips random headers, options and payloads", () => {
    fc.assert(
      fc.property(
        reprArb,
        fc.integer({ min: 0, max: 0xffffffff }).map(ipv4),
        fc.integer({ min: 0, max: 0xffffffff }).map(ipv4),
        fc.uint8Array({ maxLength: 1460 }),
        (repr, s, d, payload) => {
          const seg = encodeTcp(repr, s, d, payload);
          expect(verifiesWithPseudoHeader(seg, s, d)).toBe(true);
          const decoded = decodeTcp(seg, s, d);
          expect(decoded.ok && decoded.value.repr).toEqual(repr);
          expect(decoded.ok && decoded.value.payload).toEqual(payload);
          expect(decoded.ok && decoded.value.headerLength).toBe(tcpHeaderLength(repr));
        },
      ),
    );
  });
});
