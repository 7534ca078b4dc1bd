/**
 * The 8-byte VXLAN header (RFC 7348) that sits in a UDP payload in front of an
 * inner Ethernet frame: the I flag (0x08) and a 24-bit VNI. Encode/decode only;
 * VTEP learning, FDB entries and the UDP source-port hash are the engine's.
 * Reserved bits are written as zero and ignored on receipt, as the RFC asks.
 */
import { hex } from "./bytes.js";
import { err, ok, type Result } from "./result.js";

export const VXLAN_HEADER_LENGTH = 8;
/** IANA's port; Linux's own default when `ip link add type vxlan` gets no dstport is 8472 (flannel uses it). */
export const VXLAN_PORT = 4789;
export const LINUX_VXLAN_PORT = 8472;
const FLAG_I = 0x08;

export interface VxlanRepr {
  /** 24 bits; masked on encode. */
  readonly vni: number;
}

export interface DecodedVxlan {
  readonly repr: VxlanRepr;
  /** The flags byte as received (0x08 when only I is set). */
  readonly flags: number;
  /** The inner Ethernet frame, a view into the input. */
  readonly payload: Uint8Array;
}

export function emitVxlanHeader(buf: Uint8Array, offset: number, repr: VxlanRepr): void {
  buf[offset] = FLAG_I;
  buf[offset + 1] = 0;
  buf[offset + 2] = 0;
  buf[offset + 3] = 0;
  buf[offset + 4] = repr.vni >>> 16;
  buf[offset + 5] = repr.vni >>> 8;
  buf[offset + 6] = repr.vni;
  buf[offset + 7] = 0;
}

export function encodeVxlan(repr: VxlanRepr, innerFrame: Uint8Array): Uint8Array {
  const out = new Uint8Array(VXLAN_HEADER_LENGTH + innerFrame.length);
  emitVxlanHeader(out, 0, repr);
  out.set(innerFrame, VXLAN_HEADER_LENGTH);
  return out;
}

export function decodeVxlan(bytes: Uint8Array): Result<DecodedVxlan> {
  if (bytes.length < VXLAN_HEADER_LENGTH) {
    return err(`VXLAN header too short: ${bytes.length} bytes, need ${VXLAN_HEADER_LENGTH}`);
  }
  const flags = bytes[0]!;
  if ((flags & FLAG_I) === 0) return err(`VXLAN I flag not set (flags ${hex(flags, 2)}): no valid VNI`);
  return ok({
    repr: { vni: (bytes[4]! << 16) | (bytes[5]! << 8) | bytes[6]! },
    flags,
    payload: bytes.subarray(VXLAN_HEADER_LENGTH),
  });
}
