/**
 * The Internet checksum (RFC 1071): a 16-bit one's-complement sum, built up in
 * pieces so TCP/UDP can add the IPv4 pseudo-header without copying it into a
 * buffer, plus RFC 1624 incremental update for the NAT and TTL rewrites the
 * engine does on forwarded packets. It does not know any protocol's layout.
 *
 * Partial sums are plain numbers kept folded to 16 bits between calls, so any
 * number of ranges can be added without overflowing. Only the last range added
 * may have odd length (its final byte is padded with zero, per RFC 1071).
 */
import type { Ipv4Address } from "./ipv4-address.js";

function fold(sum: number): number {
  let s = sum;
  // `& 0xffff` is exact for any integer below 2^53 (ToInt32 keeps the low 32 bits).
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

/** Adds bytes[start..end) as big-endian 16-bit words to a partial sum. */
export function checksumAdd(sum: number, bytes: Uint8Array, start = 0, end = bytes.length): number {
  let s = sum;
  let i = start;
  const evenEnd = end - ((end - start) & 1);
  for (; i < evenEnd; i += 2) s += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) s += bytes[i]! << 8;
  return fold(s);
}

export function checksumAdd16(sum: number, word: number): number {
  return fold(sum + (word & 0xffff));
}

export function checksumAdd32(sum: number, value: number): number {
  return fold(sum + (value >>> 16) + (value & 0xffff));
}

/** The value to store in a checksum field: the complement of the folded sum. */
export function checksumFinish(sum: number): number {
  return ~fold(sum) & 0xffff;
}

/**
 * Checksum of a byte range. Over a whole header or message that already holds its
 * checksum field this is 0 exactly when the checksum is right, which is how
 * receivers (and the decoders here) verify.
 */
export function internetChecksum(bytes: Uint8Array, start = 0, end = bytes.length): number {
  return checksumFinish(checksumAdd(0, bytes, start, end));
}

/** Partial sum of the IPv4 pseudo-header that TCP and UDP checksums cover (RFC 793, RFC 768). */
export function pseudoHeaderSum(src: Ipv4Address, dst: Ipv4Address, protocol: number, length: number): number {
  return fold((src >>> 16) + (src & 0xffff) + (dst >>> 16) + (dst & 0xffff) + (protocol & 0xff) + (length & 0xffff));
}

/**
 * RFC 1624 eqn. 3: the checksum after one covered 16-bit word changes from
 * oldWord to newWord, without re-reading the packet (NAT port, TTL+protocol word).
 * A UDP checksum of 0 means "none" and must be left alone by the caller.
 */
export function checksumAdjust(checksum: number, oldWord: number, newWord: number): number {
  return ~fold((~checksum & 0xffff) + (~oldWord & 0xffff) + (newWord & 0xffff)) & 0xffff;
}

/** The same for a 32-bit field such as an address rewritten by NAT. */
export function checksumAdjust32(checksum: number, oldValue: number, newValue: number): number {
  const s =
    (~checksum & 0xffff) +
    (~(oldValue >>> 16) & 0xffff) + (~oldValue & 0xffff) +
    (newValue >>> 16) + (newValue & 0xffff);
  return ~fold(s) & 0xffff;
}
