/**
 * The IPv4 header. Encoding always writes a 20-byte header without options (the
 * Linux paths we simulate never add any) and computes the header checksum;
 * decoding skips options via IHL, verifies the checksum, and cuts the payload
 * at Total Length so Ethernet padding never leaks into upper layers. Fragment
 * reassembly and forwarding decisions (TTL, DF vs MTU) belong to the engine.
 */
import { get16, hex, put16 } from "./bytes.js";
import { checksumAdd, checksumFinish, internetChecksum } from "./checksum.js";
import { ipv4FromBytes, writeIpv4, type Ipv4Address } from "./ipv4-address.js";
import { err, ok, type Result } from "./result.js";

export const IPV4_HEADER_LENGTH = 20;
export const IPV4_MAX_LENGTH = 0xffff;
/** Linux's net.ipv4.ip_default_ttl. */
export const DEFAULT_TTL = 64;

export const IpProtocol = {
  Icmp: 1,
  Ipip: 4,
  Tcp: 6,
  Udp: 17,
} as const;

export interface Ipv4Repr {
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  /** 8 bits; see IpProtocol. */
  readonly protocol: number;
  /** 8 bits. */
  readonly ttl: number;
  /** Upper 6 bits of the old TOS byte. */
  readonly dscp: number;
  /** Lower 2 bits of the old TOS byte. */
  readonly ecn: number;
  /** 16 bits. */
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In 8-byte units as on the wire (0..8191); multiply by 8 for a byte offset. */
  readonly fragmentOffset: number;
}

export interface DecodedIpv4 {
  readonly repr: Ipv4Repr;
  /** IHL × 4, options included. */
  readonly headerLength: number;
  readonly totalLength: number;
  /** The checksum field as received. */
  readonly checksum: number;
  /** View into the input of exactly totalLength − headerLength bytes. */
  readonly payload: Uint8Array;
}

export interface DecodeIpv4Options {
  /** Default true. */
  readonly verifyChecksum?: boolean;
}

/** Writes a 20-byte header with its checksum at buf[offset..offset+20). */
export function emitIpv4Header(buf: Uint8Array, offset: number, repr: Ipv4Repr, payloadLength: number): void {
  buf[offset] = 0x45;
  buf[offset + 1] = ((repr.dscp & 0x3f) << 2) | (repr.ecn & 0x3);
  put16(buf, offset + 2, IPV4_HEADER_LENGTH + payloadLength);
  put16(buf, offset + 4, repr.identification & 0xffff);
  put16(
    buf,
    offset + 6,
    (repr.dontFragment ? 0x4000 : 0) | (repr.moreFragments ? 0x2000 : 0) | (repr.fragmentOffset & 0x1fff),
  );
  buf[offset + 8] = repr.ttl;
  buf[offset + 9] = repr.protocol;
  buf[offset + 10] = 0;
  buf[offset + 11] = 0;
  writeIpv4(buf, offset + 12, repr.src);
  writeIpv4(buf, offset + 16, repr.dst);
  put16(buf, offset + 10, internetChecksum(buf, offset, offset + IPV4_HEADER_LENGTH));
}

/** Throws RangeError when header + payload exceed 65535 bytes: the caller must fragment first. */
export function encodeIpv4(repr: Ipv4Repr, payload: Uint8Array): Uint8Array {
  const total = IPV4_HEADER_LENGTH + payload.length;
  if (total > IPV4_MAX_LENGTH) throw new RangeError(`IPv4 packet of ${total} bytes exceeds 65535`);
  const out = new Uint8Array(total);
  emitIpv4Header(out, 0, repr, payload.length);
  out.set(payload, IPV4_HEADER_LENGTH);
  return out;
}

export function decodeIpv4(bytes: Uint8Array, options?: DecodeIpv4Options): Result<DecodedIpv4> {
  if (bytes.length < IPV4_HEADER_LENGTH) {
    return err(`IPv4 packet too short: ${bytes.length} bytes, need at least ${IPV4_HEADER_LENGTH}`);
  }
  const version = bytes[0]! >>> 4;
  if (version !== 4) return err(`IPv4 version field is ${version}, expected 4`);
  const headerLength = (bytes[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) {
    return err(`IPv4 header length ${headerLength} bytes is less than the minimum ${IPV4_HEADER_LENGTH}`);
  }
  if (headerLength > bytes.length) {
    return err(`IPv4 header length ${headerLength} bytes exceeds the ${bytes.length} bytes available`);
  }
  const totalLength = get16(bytes, 2);
  if (totalLength < headerLength) {
    return err(`IPv4 total length ${totalLength} is less than the header length ${headerLength}`);
  }
  if (totalLength > bytes.length) {
    return err(`IPv4 total length ${totalLength} exceeds the ${bytes.length} bytes available (truncated packet)`);
  }
  const checksum = get16(bytes, 10);
  if (options?.verifyChecksum !== false && internetChecksum(bytes, 0, headerLength) !== 0) {
    const expected = checksumFinish(checksumAdd(checksumAdd(0, bytes, 0, 10), bytes, 12, headerLength));
    return err(`IPv4 header checksum ${hex(checksum, 4)} is wrong (expected ${hex(expected, 4)})`);
  }
  const flags = get16(bytes, 6);
  return ok({
    repr: {
      src: ipv4FromBytes(bytes, 12),
      dst: ipv4FromBytes(bytes, 16),
      protocol: bytes[9]!,
      ttl: bytes[8]!,
      dscp: bytes[1]! >>> 2,
      ecn: bytes[1]! & 0x3,
      identification: get16(bytes, 4),
      dontFragment: (flags & 0x4000) !== 0,
      moreFragments: (flags & 0x2000) !== 0,
      fragmentOffset: flags & 0x1fff,
    },
    headerLength,
    totalLength,
    checksum,
    payload: bytes.subarray(headerLength, totalLength),
  });
}

/** True for any piece of a fragmented datagram (first, middle or last). */
export function isFragment(repr: Ipv4Repr): boolean {
  return repr.moreFragments || repr.fragmentOffset !== 0;
}

export function ipProtocolName(protocol: number): string {
  switch (protocol) {
    case IpProtocol.Icmp: return "icmp";
    case IpProtocol.Ipip: return "ipip";
    case IpProtocol.Tcp: return "tcp";
    case IpProtocol.Udp: return "udp";
    default: return `ip-proto-${protocol}`;
  }
}
