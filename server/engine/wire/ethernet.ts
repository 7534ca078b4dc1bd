/**
 * Ethernet II frames as pcap's LINKTYPE_ETHERNET stores them: destination,
 * source, EtherType, payload, and no FCS (the NIC strips it before capture).
 *
 * Encoding never pads to the 60-byte minimum: padding is done by physical NIC
 * drivers or their hardware on the way out, while veth and bridges pass the
 * frame as the stack built it, so `tcpdump -i veth0` shows a 42-byte ARP frame
 * and so do our traces and pcaps.
 * Decoding accepts trailing padding: upper layers cut their payload by their own
 * length fields. No 802.1Q tags or 802.3 LLC here: such frames decode with their
 * EtherType/length value and the payload left raw.
 */
import { hex, put16 } from "./bytes.js";
import { macFromBytes, writeMac, type MacAddress } from "./mac-address.js";
import { err, ok, type Result } from "./result.js";

export const ETHERNET_HEADER_LENGTH = 14;
/** The shortest frame on a real wire without FCS; reported, never enforced. */
export const ETHERNET_MIN_FRAME_LENGTH = 60;

export const EtherType = {
  Ipv4: 0x0800,
  Arp: 0x0806,
  Vlan: 0x8100,
  Ipv6: 0x86dd,
} as const;

export interface EthernetRepr {
  readonly dst: MacAddress;
  readonly src: MacAddress;
  /** 16 bits; masked on encode. */
  readonly etherType: number;
}

export interface DecodedEthernet {
  readonly repr: EthernetRepr;
  /** A view into the input (no copy), padding included. */
  readonly payload: Uint8Array;
}

export function emitEthernetHeader(buf: Uint8Array, offset: number, repr: EthernetRepr): void {
  writeMac(buf, offset, repr.dst);
  writeMac(buf, offset + 6, repr.src);
  put16(buf, offset + 12, repr.etherType & 0xffff);
}

export function encodeEthernet(repr: EthernetRepr, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(ETHERNET_HEADER_LENGTH + payload.length);
  emitEthernetHeader(out, 0, repr);
  out.set(payload, ETHERNET_HEADER_LENGTH);
  return out;
}

export function decodeEthernet(bytes: Uint8Array): Result<DecodedEthernet> {
  if (bytes.length < ETHERNET_HEADER_LENGTH) {
    return err(`Ethernet frame too short: ${bytes.length} bytes, need at least ${ETHERNET_HEADER_LENGTH}`);
  }
  return ok({
    repr: {
      dst: macFromBytes(bytes, 0),
      src: macFromBytes(bytes, 6),
      etherType: (bytes[12]! << 8) | bytes[13]!,
    },
    payload: bytes.subarray(ETHERNET_HEADER_LENGTH),
  });
}

/** tcpdump -e's wording: "IPv4 (0x0800)", "Unknown (0x88b5)". */
export function formatEtherType(etherType: number): string {
  let name: string;
  switch (etherType) {
    case EtherType.Ipv4: name = "IPv4"; break;
    case EtherType.Arp: name = "ARP"; break;
    case EtherType.Vlan: name = "802.1Q"; break;
    case EtherType.Ipv6: name = "IPv6"; break;
    default: name = "Unknown";
  }
  return `${name} (${hex(etherType, 4)})`;
}
