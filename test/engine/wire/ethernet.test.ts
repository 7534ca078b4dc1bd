// Ethernet II framing: round trips, no padding on encode, padding tolerated on decode.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import {
  ETHERNET_HEADER_LENGTH,
  EtherType,
  decodeEthernet,
  encodeEthernet,
  formatEtherType,
  type EthernetRepr,
} from "../../../server/engine/wire/ethernet.js";
import { BROADCAST_MAC, parseMacOrThrow, type MacAddress } from "../../../server/engine/wire/mac-address.js";

const macArb = fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((n) => n as MacAddress);

describe("ethernet", () => {
  it("lays out dst, src, ethertype then payload, without FCS or padding", () => {
    const repr: EthernetRepr = { dst: BROADCAST_MAC, src: parseMacOrThrow("02:42:ac:11:00:02"), etherType: EtherType.Arp };
    const frame = encodeEthernet(repr, Uint8Array.of(1, 2, 3));
    expect(Array.from(frame)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0x08, 0x06, 1, 2, 3]);
    expect(frame.length).toBe(ETHERNET_HEADER_LENGTH + 3);
  });

  it("decodes padded frames, keeping the padding in the payload for upper layers to cut", () => {
    const repr: EthernetRepr = { dst: BROADCAST_MAC, src: parseMacOrThrow("02:42:ac:11:00:02"), etherType: EtherType.Ipv4 };
    const padded = new Uint8Array(60);
    padded.set(encodeEthernet(repr, new Uint8Array(28)));
    const decoded = decodeEthernet(padded);
    expect(decoded.ok && decoded.value.repr).toEqual(repr);
    expect(decoded.ok && decoded.value.payload.length).toBe(46);
  });

  it("rejects frames shorter than the header", () => {
    expect(decodeEthernet(new Uint8Array(13))).toEqual({ ok: false, error: "Ethernet frame too short: 13 bytes, need at least 14" });
  });

  it("names ethertypes as tcpdump -e does", () => {
    expect(formatEtherType(0x0800)).toBe("IPv4 (0x0800)");
    expect(formatEtherType(0x0806)).toBe("ARP (0x0806)");
    expect(formatEtherType(0x88b5)).toBe("Unknown (0x88b5)");
  });

  it("round-trips random frames", () => {
    fc.assert(
      fc.property(macArb, macArb, fc.integer({ min: 0, max: 0xffff }), fc.uint8Array({ maxLength: 1500 }), (dst, src, etherType, payload) => {
        const repr = { dst, src, etherType };
        const decoded = decodeEthernet(encodeEthernet(repr, payload));
        expect(decoded).toEqual({ ok: true, value: { repr, payload } });
      }),
    );
  });
});
