/**
 * IPv4 addresses as a branded uint32 (cheap, comparable with ===, usable as a Map
 * key, and masks are plain bit operations) and IPv4 CIDRs ("172.17.0.2/16": an
 * interface address with its prefix, or a network). Text is strict dotted-quad
 * decimal: inet_aton's octal/hex/short forms are rejected because "010.0.0.1"
 * would mean 8.0.0.1 there and 10.0.0.1 to a reader. No IPv6 here.
 */
import { err, ok, unwrap, type Result } from "./result.js";

declare const ipv4Brand: unique symbol;
/** An integer in 0 .. 2^32-1 in network order (first octet in the top bits). */
export type Ipv4Address = number & { readonly [ipv4Brand]: true };

declare const cidrBrand: unique symbol;
/** An address plus prefix length 0..32; host bits may be set (an interface address). */
export type Ipv4Cidr = { readonly address: Ipv4Address; readonly prefixLength: number } & { readonly [cidrBrand]: true };

/** Every uint32 is an address, so coercion (not validation) is all a number needs. */
export function ipv4(value: number): Ipv4Address {
  return (value >>> 0) as Ipv4Address;
}

export function ipv4FromOctets(a: number, b: number, c: number, d: number): Ipv4Address {
  return ((((a & 0xff) << 24) | ((b & 0xff) << 16) | ((c & 0xff) << 8) | (d & 0xff)) >>> 0) as Ipv4Address;
}

export function ipv4FromBytes(bytes: Uint8Array, offset = 0): Ipv4Address {
  return (((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0) as Ipv4Address;
}

export function writeIpv4(bytes: Uint8Array, offset: number, address: Ipv4Address): void {
  bytes[offset] = address >>> 24;
  bytes[offset + 1] = address >>> 16;
  bytes[offset + 2] = address >>> 8;
  bytes[offset + 3] = address;
}

export const UNSPECIFIED_IPV4 = ipv4(0);
export const BROADCAST_IPV4 = ipv4(0xffffffff);

export function parseIpv4(text: string): Result<Ipv4Address> {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      if (digits === 1 && octet === 0) return err(`invalid IPv4 address "${text}": leading zero in an octet`);
      octet = octet * 10 + (c - 48);
      digits++;
      if (octet > 255) return err(`invalid IPv4 address "${text}": octet greater than 255`);
    } else if (c === 46) {
      if (digits === 0) return err(`invalid IPv4 address "${text}": empty octet`);
      if (++dots > 3) return err(`invalid IPv4 address "${text}": more than 4 octets`);
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
    } else {
      return err(`invalid IPv4 address "${text}": unexpected character ${JSON.stringify(text[i])}`);
    }
  }
  if (digits === 0) return err(`invalid IPv4 address "${text}": empty octet`);
  if (dots !== 3) return err(`invalid IPv4 address "${text}": expected 4 dot-separated octets`);
  return ok((value * 256 + octet) as Ipv4Address);
}

export function parseIpv4OrThrow(text: string): Ipv4Address {
  return unwrap(parseIpv4(text));
}

/** Formatted addresses are memoised: trace summaries format the same few addresses millions of times. */
const formatted = new Map<number, string>();
const FORMAT_CACHE_LIMIT = 65536;

export function formatIpv4(address: Ipv4Address | number): string {
  const a = address >>> 0;
  let text = formatted.get(a);
  if (text === undefined) {
    text = `${a >>> 24}.${(a >>> 16) & 0xff}.${(a >>> 8) & 0xff}.${a & 0xff}`;
    if (formatted.size >= FORMAT_CACHE_LIMIT) formatted.clear();
    formatted.set(a, text);
  }
  return text;
}

/** The netmask for a prefix length as a uint32 (0 for /0: a 32-bit shift would be a no-op in JS). */
export function prefixMask(prefixLength: number): number {
  return prefixLength <= 0 ? 0 : (0xffffffff << (32 - Math.min(prefixLength, 32))) >>> 0;
}

/** "255.255.0.0" → 16; rejects non-contiguous masks, which Linux routes cannot express. */
export function prefixLengthFromMask(mask: number): Result<number> {
  const m = mask >>> 0;
  const inverted = ~m >>> 0;
  if ((inverted & (inverted + 1)) !== 0) return err(`netmask ${formatIpv4(m)} is not contiguous`);
  return ok(Math.clz32(inverted));
}

export function ipv4Cidr(address: Ipv4Address, prefixLength: number): Result<Ipv4Cidr> {
  if (!Number.isInteger(prefixLength) || prefixLength < 0 || prefixLength > 32) {
    return err(`invalid prefix length ${prefixLength}: expected an integer in 0..32`);
  }
  return ok({ address, prefixLength } as Ipv4Cidr);
}

export function ipv4CidrOrThrow(address: Ipv4Address, prefixLength: number): Ipv4Cidr {
  return unwrap(ipv4Cidr(address, prefixLength));
}

export function parseIpv4Cidr(text: string): Result<Ipv4Cidr> {
  const slash = text.indexOf("/");
  if (slash < 0) return err(`invalid IPv4 CIDR "${text}": missing "/prefix-length"`);
  const address = parseIpv4(text.slice(0, slash));
  if (!address.ok) return err(`invalid IPv4 CIDR "${text}": ${address.error}`);
  const prefixText = text.slice(slash + 1);
  if (!/^(?:[0-9]|[12][0-9]|3[0-2])$/.test(prefixText)) {
    return err(`invalid IPv4 CIDR "${text}": prefix length "${prefixText}" is not an integer in 0..32`);
  }
  return ok({ address: address.value, prefixLength: Number(prefixText) } as Ipv4Cidr);
}

export function parseIpv4CidrOrThrow(text: string): Ipv4Cidr {
  return unwrap(parseIpv4Cidr(text));
}

export function formatIpv4Cidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.address)}/${cidr.prefixLength}`;
}

export function cidrMask(cidr: Ipv4Cidr): number {
  return prefixMask(cidr.prefixLength);
}

/** Dotted netmask, as `ifconfig` and `route -n` print it. */
export function cidrMaskDotted(cidr: Ipv4Cidr): string {
  return formatIpv4(prefixMask(cidr.prefixLength));
}

export function cidrNetwork(cidr: Ipv4Cidr): Ipv4Address {
  return ((cidr.address & prefixMask(cidr.prefixLength)) >>> 0) as Ipv4Address;
}

/** The directed broadcast; for /31 and /32 this is just the top address (RFC 3021 has no broadcast). */
export function cidrBroadcast(cidr: Ipv4Cidr): Ipv4Address {
  return ((cidr.address | ~prefixMask(cidr.prefixLength)) >>> 0) as Ipv4Address;
}

/** The same CIDR with host bits cleared ("172.17.0.2/16" → "172.17.0.0/16"), as a route's destination. */
export function cidrNetworkCidr(cidr: Ipv4Cidr): Ipv4Cidr {
  return { address: cidrNetwork(cidr), prefixLength: cidr.prefixLength } as Ipv4Cidr;
}

export function cidrContains(cidr: Ipv4Cidr, address: Ipv4Address): boolean {
  const mask = prefixMask(cidr.prefixLength);
  return ((address & mask) >>> 0) === ((cidr.address & mask) >>> 0);
}

export function cidrOverlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const mask = prefixMask(Math.min(a.prefixLength, b.prefixLength));
  return ((a.address & mask) >>> 0) === ((b.address & mask) >>> 0);
}

/** 127.0.0.0/8 */
export function isLoopbackIpv4(address: Ipv4Address): boolean {
  return address >>> 24 === 127;
}

/** 224.0.0.0/4 */
export function isMulticastIpv4(address: Ipv4Address): boolean {
  return address >>> 28 === 0xe;
}

/** 255.255.255.255, the limited broadcast. */
export function isBroadcastIpv4(address: Ipv4Address): boolean {
  return address === BROADCAST_IPV4;
}

/** 0.0.0.0 */
export function isUnspecifiedIpv4(address: Ipv4Address): boolean {
  return address === 0;
}

/** 169.254.0.0/16 */
export function isLinkLocalIpv4(address: Ipv4Address): boolean {
  return address >>> 16 === 0xa9fe;
}

/** RFC 1918: 10/8, 172.16/12, 192.168/16. */
export function isPrivateIpv4(address: Ipv4Address): boolean {
  return address >>> 24 === 10 || address >>> 20 === 0xac1 || address >>> 16 === 0xc0a8;
}
