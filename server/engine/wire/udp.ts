/**
 * The UDP header with the IPv4 pseudo-header checksum. A computed checksum of 0
 * is sent as 0xffff because 0 on the wire means "no checksum" (RFC 768), which
 * decoding honours by skipping verification. Encoding can also omit the checksum,
 * as Linux VXLAN tunnels do by default. Sockets and port demultiplexing are the
 * engine's.
 */
import { get16, hex, put16 } from "./bytes.js";
import { checksumAdd, checksumFinish, pseudoHeaderSum } from "./checksum.js";
import type { Ipv4Address } from "./ipv4-address.js";
import { IpProtocol } from "./ipv4.js";
import { err, ok, type Result } from "./result.js";

export const UDP_HEADER_LENGTH = 8;

export interface UdpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
}

export interface DecodedUdp {
  readonly repr: UdpRepr;
  /** The checksum field as received; 0 means the sender computed none. */
  readonly checksum: number;
  /** View into the input cut at the UDP length field (padding excluded). */
  readonly payload: Uint8Array;
}

export interface EncodeUdpOptions {
  /** Default true; false sends checksum 0 ("none"). */
  readonly checksum?: boolean;
}

export interface DecodeUdpOptions {
  /** Default true. */
  readonly verifyChecksum?: boolean;
}

/** Writes the header at buf[offset..offset+8); the payload must already follow it when computing the checksum. */
export function emitUdpHeader(
  buf: Uint8Array,
  offset: number,
  repr: UdpRepr,
  src: Ipv4Address,
  dst: Ipv4Address,
  payloadLength: number,
  computeChecksum = true,
): void {
  const length = UDP_HEADER_LENGTH + payloadLength;
  put16(buf, offset, repr.srcPort & 0xffff);
  put16(buf, offset + 2, repr.dstPort & 0xffff);
  put16(buf, offset + 4, length);
  put16(buf, offset + 6, 0);
  if (!computeChecksum) return;
  const sum = checksumAdd(pseudoHeaderSum(src, dst, IpProtocol.Udp, length), buf, offset, offset + length);
  put16(buf, offset + 6, checksumFinish(sum) || 0xffff);
}

/** Throws RangeError when the datagram would not fit the 16-bit length field. */
export function encodeUdp(
  repr: UdpRepr,
  src: Ipv4Address,
  dst: Ipv4Address,
  payload: Uint8Array,
  options?: EncodeUdpOptions,
): Uint8Array {
  const length = UDP_HEADER_LENGTH + payload.length;
  if (length > 0xffff) throw new RangeError(`UDP datagram of ${length} bytes exceeds 65535`);
  const out = new Uint8Array(length);
  out.set(payload, UDP_HEADER_LENGTH);
  emitUdpHeader(out, 0, repr, src, dst, payload.length, options?.checksum !== false);
  return out;
}

/** `bytes` is the IP payload; src/dst feed the pseudo-header. */
export function decodeUdp(
  bytes: Uint8Array,
  src: Ipv4Address,
  dst: Ipv4Address,
  options?: DecodeUdpOptions,
): Result<DecodedUdp> {
  if (bytes.length < UDP_HEADER_LENGTH) {
    return err(`UDP datagram too short: ${bytes.length} bytes, need at least ${UDP_HEADER_LENGTH}`);
  }
  const length = get16(bytes, 4);
  if (length < UDP_HEADER_LENGTH) return err(`UDP length field ${length} is less than the header size ${UDP_HEADER_LENGTH}`);
  if (length > bytes.length) return err(`UDP length field ${length} exceeds the ${bytes.length} bytes available`);
  const checksum = get16(bytes, 6);
  if (checksum !== 0 && options?.verifyChecksum !== false) {
    const pseudo = pseudoHeaderSum(src, dst, IpProtocol.Udp, length);
    if (checksumFinish(checksumAdd(pseudo, bytes, 0, length)) !== 0) {
      const expected = checksumFinish(checksumAdd(checksumAdd(pseudo, bytes, 0, 6), bytes, 8, length)) || 0xffff;
      return err(`UDP checksum ${hex(checksum, 4)} is wrong (expected ${hex(expected, 4)})`);
    }
  }
  return ok({
    repr: { srcPort: get16(bytes, 0), dstPort: get16(bytes, 2) },
    checksum,
    payload: bytes.subarray(UDP_HEADER_LENGTH, length),
  });
}
