// IPv4 address and CIDR parsing, formatting and subnet arithmetic.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  cidrBroadcast,
  cidrContains,
  cidrMask,
  cidrMaskDotted,
  cidrNetwork,
  cidrNetworkCidr,
  cidrOverlaps,
  formatIpv4,
  formatIpv4Cidr,
  ipv4,
  ipv4Cidr,
  ipv4CidrOrThrow,
  ipv4FromBytes,
  ipv4FromOctets,
  isBroadcastIpv4,
  isLinkLocalIpv4,
  isLoopbackIpv4,
  isMulticastIpv4,
  isPrivateIpv4,
  isUnspecifiedIpv4,
  parseIpv4,
  parseIpv4Cidr,
  parseIpv4CidrOrThrow,
  parseIpv4OrThrow,
  prefixLengthFromMask,
  prefixMask,
  writeIpv4,
} from "../../../server/engine/wire/ipv4-address.js";

const ip = parseIpv4OrThrow;
const cidr = parseIpv4CidrOrThrow;

describe("ipv4-address", () => {
  it("parses dotted quads into uint32 and formats them back", () => {
    expect(ip("172.17.0.2")).toBe(0xac110002);
    expect(ip("255.255.255.255")).toBe(0xffffffff);
    expect(ip("0.0.0.0")).toBe(0);
    expect(formatIpv4(ip("172.17.0.2"))).toBe("172.17.0.2");
    expect(ipv4FromOctets(10, 0, 0, 1)).toBe(ip("10.0.0.1"));
    expect(ipv4(-1)).toBe(0xffffffff);
  });

  it("rejects ambiguous or malformed text precisely", () => {
    expect(parseIpv4("256.0.0.1")).toEqual({ ok: false, error: 'invalid IPv4 address "256.0.0.1": octet greater than 255' });
    expect(parseIpv4("010.0.0.1")).toEqual({ ok: false, error: 'invalid IPv4 address "010.0.0.1": leading zero in an octet' });
    expect(parseIpv4("1.2.3")).toEqual({ ok: false, error: 'invalid IPv4 address "1.2.3": expected 4 dot-separated octets' });
    expect(parseIpv4("1.2.3.4.5")).toEqual({ ok: false, error: 'invalid IPv4 address "1.2.3.4.5": more than 4 octets' });
    expect(parseIpv4("1..3.4")).toEqual({ ok: false, error: 'invalid IPv4 address "1..3.4": empty octet' });
    expect(parseIpv4("1.2.3.")).toEqual({ ok: false, error: 'invalid IPv4 address "1.2.3.": empty octet' });
    expect(parseIpv4("")).toEqual({ ok: false, error: 'invalid IPv4 address "": empty octet' });
    expect(parseIpv4(" 1.2.3.4")).toEqual({ ok: false, error: 'invalid IPv4 address " 1.2.3.4": unexpected character " "' });
    expect(() => ip("x")).toThrow('invalid IPv4 address "x": unexpected character "x"');
  });

  it("parses CIDRs and computes network, broadcast and mask", () => {
    const c = cidr("172.17.0.2/16");
    expect(c).toEqual({ address: ip("172.17.0.2"), prefixLength: 16 });
    expect(formatIpv4Cidr(c)).toBe("172.17.0.2/16");
    expect(formatIpv4(cidrNetwork(c))).toBe("172.17.0.0");
    expect(formatIpv4(cidrBroadcast(c))).toBe("172.17.255.255");
    expect(cidrMask(c)).toBe(0xffff0000);
    expect(cidrMaskDotted(c)).toBe("255.255.0.0");
    expect(formatIpv4Cidr(cidrNetworkCidr(c))).toBe("172.17.0.0/16");
    expect(cidrContains(c, ip("172.17.200.9"))).toBe(true);
    expect(cidrContains(c, ip("172.18.0.1"))).toBe(false);
    expect(cidrContains(cidr("0.0.0.0/0"), ip("8.8.8.8"))).toBe(true);
    expect(cidrContains(cidr("10.0.0.1/32"), ip("10.0.0.1"))).toBe(true);
    expect(cidrContains(cidr("10.0.0.1/32"), ip("10.0.0.2"))).toBe(false);
    expect(formatIpv4(cidrBroadcast(cidr("10.1.2.3/24")))).toBe("10.1.2.255");
    expect(cidrOverlaps(cidr("10.0.0.0/8"), cidr("10.1.0.0/16"))).toBe(true);
    expect(cidrOverlaps(cidr("10.0.0.0/16"), cidr("10.1.0.0/16"))).toBe(false);
  });

  it("handles the /0 and /32 mask edges (no 32-bit shift)", () => {
    expect(prefixMask(0)).toBe(0);
    expect(prefixMask(32)).toBe(0xffffffff);
    expect(prefixMask(24)).toBe(0xffffff00);
    expect(prefixLengthFromMask(ip("255.255.0.0"))).toEqual({ ok: true, value: 16 });
    expect(prefixLengthFromMask(0)).toEqual({ ok: true, value: 0 });
    expect(prefixLengthFromMask(0xffffffff)).toEqual({ ok: true, value: 32 });
    expect(prefixLengthFromMask(ip("255.0.255.0"))).toEqual({ ok: false, error: "netmask 255.0.255.0 is not contiguous" });
  });

  it("rejects bad CIDRs precisely", () => {
    expect(parseIpv4Cidr("172.17.0.2")).toEqual({ ok: false, error: 'invalid IPv4 CIDR "172.17.0.2": missing "/prefix-length"' });
    expect(parseIpv4Cidr("172.17.0.2/33")).toEqual({
      ok: false,
      error: 'invalid IPv4 CIDR "172.17.0.2/33": prefix length "33" is not an integer in 0..32',
    });
    expect(parseIpv4Cidr("172.17.0.2/016").ok).toBe(false);
    expect(parseIpv4Cidr("172.17.0/16")).toEqual({
      ok: false,
      error: 'invalid IPv4 CIDR "172.17.0/16": invalid IPv4 address "172.17.0": expected 4 dot-separated octets',
    });
    expect(ipv4Cidr(ip("1.2.3.4"), 40)).toEqual({ ok: false, error: "invalid prefix length 40: expected an integer in 0..32" });
    expect(() => ipv4CidrOrThrow(ip("1.2.3.4"), -1)).toThrow("invalid prefix length -1");
  });

  it("classifies special ranges", () => {
    expect(isLoopbackIpv4(ip("127.0.0.1"))).toBe(true);
    expect(isLoopbackIpv4(ip("128.0.0.1"))).toBe(false);
    expect(isMulticastIpv4(ip("224.0.0.251"))).toBe(true);
    expect(isMulticastIpv4(ip("239.255.255.255"))).toBe(true);
    expect(isMulticastIpv4(ip("240.0.0.1"))).toBe(false);
    expect(isBroadcastIpv4(ip("255.255.255.255"))).toBe(true);
    expect(isUnspecifiedIpv4(ip("0.0.0.0"))).toBe(true);
    expect(isLinkLocalIpv4(ip("169.254.1.1"))).toBe(true);
    expect(isPrivateIpv4(ip("10.1.2.3"))).toBe(true);
    expect(isPrivateIpv4(ip("172.31.255.255"))).toBe(true);
    expect(isPrivateIpv4(ip("172.32.0.1"))).toBe(false);
    expect(isPrivateIpv4(ip("192.168.1.1"))).toBe(true);
    expect(isPrivateIpv4(ip("8.8.8.8"))).toBe(false);
  });

  it("round-trips through text and bytes, and CIDR arithmetic is consistent", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), (n, len) => {
        const a = ipv4(n);
        expect(parseIpv4OrThrow(formatIpv4(a))).toBe(a);
        const buf = new Uint8Array(6);
        writeIpv4(buf, 2, a);
        expect(ipv4FromBytes(buf, 2)).toBe(a);
        const c = ipv4CidrOrThrow(a, len);
        expect(parseIpv4CidrOrThrow(formatIpv4Cidr(c))).toEqual(c);
        expect(cidrContains(c, a)).toBe(true);
        expect(cidrContains(c, cidrNetwork(c))).toBe(true);
        expect(cidrContains(c, cidrBroadcast(c))).toBe(true);
        expect(prefixLengthFromMask(prefixMask(len))).toEqual({ ok: true, value: len });
        expect(cidrBroadcast(c) - cidrNetwork(c)).toBe(2 ** (32 - len) - 1);
      }),
    );
  });
});
