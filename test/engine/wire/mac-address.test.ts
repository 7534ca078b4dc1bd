// MAC address parsing, formatting, byte conversion and Docker's IPv4-derived scheme.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  BROADCAST_MAC,
  ZERO_MAC,
  dockerMacForIpv4,
  formatMac,
  isBroadcastMac,
  isLocallyAdministeredMac,
  isMulticastMac,
  isUnicastMac,
  macFromBytes,
  macFromUint48,
  macToBytes,
  parseMac,
  parseMacOrThrow,
  writeMac,
  type MacAddress,
} from "../../../server/engine/wire/mac-address.js";
import { parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";

const macArb = fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((n) => n as MacAddress);

describe("mac-address", () => {
  it("parses text into 6 bytes and back", () => {
    const mac = parseMacOrThrow("02:42:ac:11:00:02");
    expect(Array.from(macToBytes(mac))).toEqual([0x02, 0x42, 0xac, 0x11, 0x00, 0x02]);
    expect(formatMac(mac)).toBe("02:42:ac:11:00:02");
    expect(formatMac(parseMacOrThrow("AA:BB:CC:DD:EE:FF"))).toBe("aa:bb:cc:dd:ee:ff");
  });

  it("rejects malformed text with a precise error", () => {
    expect(parseMac("02:42:ac:11:00")).toEqual({
      ok: false,
      error: 'invalid MAC address "02:42:ac:11:00": expected 6 colon-separated hex bytes like 02:42:ac:11:00:02',
    });
    expect(parseMac("02-42-ac-11-00-02")).toEqual({ ok: false, error: 'invalid MAC address "02-42-ac-11-00-02": expected \':\' at position 2' });
    expect(parseMac("02:42:ac:1g:00:02")).toEqual({ ok: false, error: 'invalid MAC address "02:42:ac:1g:00:02": "1g" is not a hex byte' });
    expect(() => parseMacOrThrow("nope")).toThrow(/invalid MAC address "nope"/);
  });

  it("validates numeric construction", () => {
    expect(macFromUint48(2 ** 48)).toEqual({ ok: false, error: "MAC address value 281474976710656 is not an integer in 0..2^48-1" });
    expect(macFromUint48(-1).ok).toBe(false);
    expect(macFromUint48(1.5).ok).toBe(false);
    expect(macFromUint48(0x0242ac110002)).toEqual({ ok: true, value: parseMacOrThrow("02:42:ac:11:00:02") });
  });

  it("classifies broadcast, multicast and locally administered addresses", () => {
    expect(formatMac(BROADCAST_MAC)).toBe("ff:ff:ff:ff:ff:ff");
    expect(formatMac(ZERO_MAC)).toBe("00:00:00:00:00:00");
    expect(isBroadcastMac(BROADCAST_MAC)).toBe(true);
    expect(isMulticastMac(BROADCAST_MAC)).toBe(true);
    expect(isMulticastMac(parseMacOrThrow("01:00:5e:00:00:01"))).toBe(true);
    expect(isMulticastMac(parseMacOrThrow("02:42:ac:11:00:02"))).toBe(false);
    expect(isUnicastMac(parseMacOrThrow("02:42:ac:11:00:02"))).toBe(true);
    expect(isBroadcastMac(parseMacOrThrow("02:42:ac:11:00:02"))).toBe(false);
    expect(isLocallyAdministeredMac(parseMacOrThrow("02:42:ac:11:00:02"))).toBe(true);
    expect(isLocallyAdministeredMac(parseMacOrThrow("00:1b:21:3a:4f:10"))).toBe(false);
  });

  it("derives Docker's MAC from an IPv4 address", () => {
    expect(formatMac(dockerMacForIpv4(parseIpv4OrThrow("172.17.0.2")))).toBe("02:42:ac:11:00:02");
    expect(formatMac(dockerMacForIpv4(parseIpv4OrThrow("255.255.255.255")))).toBe("02:42:ff:ff:ff:ff");
  });

  it("writes and reads at an offset", () => {
    const buf = new Uint8Array(10);
    writeMac(buf, 3, parseMacOrThrow("de:ad:be:ef:00:01"));
    expect(Array.from(buf)).toEqual([0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0]);
    expect(formatMac(macFromBytes(buf, 3))).toBe("de:ad:be:ef:00:01");
  });

  it("round-trips every address through text and bytes", () => {
    fc.assert(
      fc.property(macArb, (mac) => {
        expect(parseMacOrThrow(formatMac(mac))).toBe(mac);
        expect(macFromBytes(macToBytes(mac))).toBe(mac);
      }),
    );
  });
});
