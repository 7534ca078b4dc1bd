/**
 * 48-bit Ethernet MAC addresses as a branded number: cheap to copy, compare with
 * === and use as a Map key (bridge FDBs, neighbour tables), and exactly 48 bits
 * fits a JS number without loss. Text form is lower-case "02:42:ac:11:00:02", as
 * `ip link` prints it. This file does not know about vendors (OUIs) or EUI-64.
 */
import { err, ok, unwrap, type Result } from "./result.js";
import type { Ipv4Address } from "./ipv4-address.js";

declare const macBrand: unique symbol;
/** An integer in 0 .. 2^48-1; only this module's constructors produce one. */
export type MacAddress = number & { readonly [macBrand]: true };

const TWO_POW_32 = 0x1_0000_0000;
const MAC_LIMIT = 0x1_0000_0000_0000;

export const BROADCAST_MAC = (MAC_LIMIT - 1) as MacAddress;
/** ARP requests carry this as the target hardware address (Linux fills zeros). */
export const ZERO_MAC = 0 as MacAddress;

export const MAC_LENGTH = 6;

export function macFromUint48(value: number): Result<MacAddress> {
  if (!Number.isInteger(value) || value < 0 || value >= MAC_LIMIT) {
    return err(`MAC address value ${value} is not an integer in 0..2^48-1`);
  }
  return ok(value as MacAddress);
}

export function macFromBytes(bytes: Uint8Array, offset = 0): MacAddress {
  const hi = (bytes[offset]! << 8) | bytes[offset + 1]!;
  const lo = ((bytes[offset + 2]! << 24) | (bytes[offset + 3]! << 16) | (bytes[offset + 4]! << 8) | bytes[offset + 5]!) >>> 0;
  return (hi * TWO_POW_32 + lo) as MacAddress;
}

export function writeMac(bytes: Uint8Array, offset: number, mac: MacAddress): void {
  const hi = Math.floor(mac / TWO_POW_32);
  const lo = mac >>> 0;
  bytes[offset] = hi >>> 8;
  bytes[offset + 1] = hi;
  bytes[offset + 2] = lo >>> 24;
  bytes[offset + 3] = lo >>> 16;
  bytes[offset + 4] = lo >>> 8;
  bytes[offset + 5] = lo;
}

export function macToBytes(mac: MacAddress): Uint8Array {
  const out = new Uint8Array(MAC_LENGTH);
  writeMac(out, 0, mac);
  return out;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** Accepts exactly six colon-separated two-digit hex groups, either case. */
export function parseMac(text: string): Result<MacAddress> {
  if (text.length !== 17) return err(`invalid MAC address "${text}": expected 6 colon-separated hex bytes like 02:42:ac:11:00:02`);
  let value = 0;
  for (let i = 0; i < 6; i++) {
    const p = i * 3;
    if (i > 0 && text.charCodeAt(p - 1) !== 58) {
      return err(`invalid MAC address "${text}": expected ':' at position ${p - 1}`);
    }
    const h = hexDigit(text.charCodeAt(p));
    const l = hexDigit(text.charCodeAt(p + 1));
    if (h < 0 || l < 0) return err(`invalid MAC address "${text}": "${text.slice(p, p + 2)}" is not a hex byte`);
    value = value * 256 + h * 16 + l;
  }
  return ok(value as MacAddress);
}

export function parseMacOrThrow(text: string): MacAddress {
  return unwrap(parseMac(text));
}

const HEX_BYTE: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function formatMac(mac: MacAddress): string {
  const hi = Math.floor(mac / TWO_POW_32);
  const lo = mac >>> 0;
  return (
    HEX_BYTE[hi >>> 8]! + ":" + HEX_BYTE[hi & 0xff]! + ":" + HEX_BYTE[lo >>> 24]! + ":" +
    HEX_BYTE[(lo >>> 16) & 0xff]! + ":" + HEX_BYTE[(lo >>> 8) & 0xff]! + ":" + HEX_BYTE[lo & 0xff]!
  );
}

export function isBroadcastMac(mac: MacAddress): boolean {
  return mac === BROADCAST_MAC;
}

/** The I/G bit (lowest bit of the first octet); broadcast counts as multicast, as in Linux's is_multicast_ether_addr. */
export function isMulticastMac(mac: MacAddress): boolean {
  return (Math.floor(mac / TWO_POW_32) & 0x0100) !== 0;
}

export function isUnicastMac(mac: MacAddress): boolean {
  return !isMulticastMac(mac);
}

/** The U/L bit; Docker's and veth's random addresses set it. */
export function isLocallyAdministeredMac(mac: MacAddress): boolean {
  return (Math.floor(mac / TWO_POW_32) & 0x0200) !== 0;
}

/**
 * Docker's bridge driver derives a container's MAC from its IPv4 address
 * (02:42 then the four address bytes), so traces show the addresses people see
 * in `docker inspect`: 172.17.0.2 becomes 02:42:ac:11:00:02.
 */
export function dockerMacForIpv4(ip: Ipv4Address): MacAddress {
  return (0x0242 * TWO_POW_32 + ip) as MacAddress;
}
