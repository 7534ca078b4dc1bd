/**
 * ARP for Ethernet and IPv4 only (htype 1, ptype 0x0800, hlen 6, plen 4), the
 * only combination Linux's arp_rcv accepts on an Ethernet device. Requests and
 * replies; RARP and InARP operations are rejected. Whether a request is
 * gratuitous, a probe (sender IP 0.0.0.0) or an answerable question is the
 * engine's business, not this file's.
 */
import { get16, hex, put16 } from "./bytes.js";
import { ipv4FromBytes, writeIpv4, type Ipv4Address } from "./ipv4-address.js";
import { macFromBytes, writeMac, type MacAddress } from "./mac-address.js";
import { err, ok, type Result } from "./result.js";

export const ARP_LENGTH = 28;
const HTYPE_ETHERNET = 1;
const PTYPE_IPV4 = 0x0800;

export type ArpOperation = "request" | "reply";

export const ArpOpcode = { request: 1, reply: 2 } as const;

export interface ArpRepr {
  readonly operation: ArpOperation;
  readonly senderMac: MacAddress;
  readonly senderIp: Ipv4Address;
  /** Linux leaves this 00:00:00:00:00:00 in requests. */
  readonly targetMac: MacAddress;
  readonly targetIp: Ipv4Address;
}

export function emitArp(buf: Uint8Array, offset: number, repr: ArpRepr): void {
  put16(buf, offset, HTYPE_ETHERNET);
  put16(buf, offset + 2, PTYPE_IPV4);
  buf[offset + 4] = 6;
  buf[offset + 5] = 4;
  put16(buf, offset + 6, ArpOpcode[repr.operation]);
  writeMac(buf, offset + 8, repr.senderMac);
  writeIpv4(buf, offset + 14, repr.senderIp);
  writeMac(buf, offset + 18, repr.targetMac);
  writeIpv4(buf, offset + 24, repr.targetIp);
}

export function encodeArp(repr: ArpRepr): Uint8Array {
  const out = new Uint8Array(ARP_LENGTH);
  emitArp(out, 0, repr);
  return out;
}

/** Bytes past the 28 (Ethernet padding) are ignored. */
export function decodeArp(bytes: Uint8Array): Result<ArpRepr> {
  if (bytes.length < ARP_LENGTH) return err(`ARP packet too short: ${bytes.length} bytes, need ${ARP_LENGTH}`);
  const htype = get16(bytes, 0);
  if (htype !== HTYPE_ETHERNET) return err(`ARP hardware type ${htype} unsupported (expected 1, Ethernet)`);
  const ptype = get16(bytes, 2);
  if (ptype !== PTYPE_IPV4) return err(`ARP protocol type ${hex(ptype, 4)} unsupported (expected 0x0800, IPv4)`);
  if (bytes[4] !== 6) return err(`ARP hardware address length ${bytes[4]} unsupported (expected 6)`);
  if (bytes[5] !== 4) return err(`ARP protocol address length ${bytes[5]} unsupported (expected 4)`);
  const opcode = get16(bytes, 6);
  let operation: ArpOperation;
  if (opcode === 1) operation = "request";
  else if (opcode === 2) operation = "reply";
  else return err(`ARP operation ${opcode} unsupported (expected 1 request or 2 reply)`);
  return ok({
    operation,
    senderMac: macFromBytes(bytes, 8),
    senderIp: ipv4FromBytes(bytes, 14),
    targetMac: macFromBytes(bytes, 18),
    targetIp: ipv4FromBytes(bytes, 24),
  });
}
