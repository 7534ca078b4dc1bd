// Internet checksum against known vectors, incremental sums, the pseudo-header and RFC 1624 updates.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  checksumAdd,
  checksumAdd16,
  checksumAdd32,
  checksumAdjust,
  checksumAdjust32,
  checksumFinish,
  internetChecksum,
  pseudoHeaderSum,
} from "../../../server/engine/wire/checksum.js";
import { parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";

function hexBytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  return Uint8Array.from(clean.match(/../g)!.map((h) => parseInt(h, 16)));
}

/** Straightforward reference: sum all words in a BigInt, fold at the end. */
function referenceChecksum(bytes: Uint8Array): number {
  let sum = 0n;
  for (let i = 0; i < bytes.length; i += 2) sum += BigInt((bytes[i]! << 8) | (bytes[i + 1] ?? 0));
  while (sum > 0xffffn) sum = (sum & 0xffffn) + (sum >> 16n);
  return Number(~sum & 0xffffn);
}

describe("checksum", () => {
  it("computes the classic IPv4 header example (b861)", () => {
    const header = hexBytes("4500 0073 0000 4000 4011 0000 c0a8 0001 c0a8 00c7");
    expect(internetChecksum(header)).toBe(0xb861);
    header[10] = 0xb8;
    header[11] = 0x61;
    expect(internetChecksum(header)).toBe(0);
  });

  it("matches RFC 1071's worked example", () => {
    // RFC 1071 §3: the words 0001 f203 f4f5 f6f7 sum to ddf2.
    const bytes = hexBytes("0001 f203 f4f5 f6f7");
    expect(checksumAdd(0, bytes)).toBe(0xddf2);
    expect(internetChecksum(bytes)).toBe(0x220d);
  });

  it("pads an odd final byte with zero", () => {
    expect(internetChecksum(Uint8Array.of(0x01))).toBe(0xfeff);
    expect(internetChecksum(Uint8Array.of(0x12, 0x34, 0x56))).toBe(~(0x1234 + 0x5600) & 0xffff);
    expect(internetChecksum(new Uint8Array(0))).toBe(0xffff);
  });

  it("sums a sub-range only", () => {
    const bytes = hexBytes("ffff 0001 f203 f4f5 f6f7 ffff");
    expect(internetChecksum(bytes, 2, 10)).toBe(0x220d);
  });

  it("builds the pseudo-header sum from addresses, protocol and length", () => {
    const src = parseIpv4OrThrow("172.17.0.2");
    const dst = parseIpv4OrThrow("172.17.0.3");
    const pseudo = hexBytes("ac11 0002 ac11 0003 0006 0028");
    expect(pseudoHeaderSum(src, dst, 6, 40)).toBe(checksumAdd(0, pseudo));
    expect(checksumAdd32(checksumAdd32(checksumAdd16(checksumAdd16(0, 6), 40), src), dst)).toBe(checksumAdd(0, pseudo));
  });

  it("agrees with a reference implementation and is incremental over even splits", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), fc.nat(), (bytes, cut) => {
        expect(internetChecksum(bytes)).toBe(referenceChecksum(bytes));
        const split = Math.min(bytes.length, cut % (bytes.length + 1)) & ~1;
        expect(checksumFinish(checksumAdd(checksumAdd(0, bytes, 0, split), bytes, split))).toBe(internetChecksum(bytes));
      }),
    );
  });

  it("does not overflow on a maximum-size datagram of 0xff bytes", () => {
    const bytes = new Uint8Array(65535).fill(0xff);
    expect(internetChecksum(bytes)).toBe(referenceChecksum(bytes));
  });

  it("updates incrementally exactly like a full recompute (RFC 1624)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 20, maxLength: 20 }),
        fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 0xffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (header, wordIndex, newWord, newValue) => {
          header[0] = 0x45; // never all-zero, where one's complement has two zeros
          header[10] = 0;
          header[11] = 0;
          const original = internetChecksum(header);
          const o = wordIndex === 5 ? 12 : wordIndex * 2;
          const oldWord = (header[o]! << 8) | header[o + 1]!;
          const changed = header.slice();
          changed[o] = newWord >>> 8;
          changed[o + 1] = newWord & 0xff;
          expect(checksumAdjust(original, oldWord, newWord)).toBe(internetChecksum(changed));

          const oldValue = ((header[12]! << 24) | (header[13]! << 16) | (header[14]! << 8) | header[15]!) >>> 0;
          const nat = header.slice();
          nat[12] = newValue >>> 24;
          nat[13] = (newValue >>> 16) & 0xff;
          nat[14] = (newValue >>> 8) & 0xff;
          nat[15] = newValue & 0xff;
          expect(checksumAdjust32(original, oldValue, newValue)).toBe(internetChecksum(nat));
        },
      ),
    );
  });
});
