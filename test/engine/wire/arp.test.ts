// ARP for Ethernet/IPv4: byte layout, round trips and each rejection Linux's arp_rcv would make.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { ARP_LENGTH, decodeArp, encodeArp, type ArpRepr } from "../../../server/engine/wire/arp.js";
import { ipv4, parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";
import { ZERO_MAC, parseMacOrThrow, type MacAddress } from "../../../server/engine/wire/mac-address.js";

const macArb = fc.integer({ min: 0, max: 2 ** 48 - 1 }).map((n) => n as MacAddress);
const ipArb = fc.integer({ min: 0, max: 0xffffffff }).map(ipv4);

const request: ArpRepr = {
  operation: "request",
  senderMac: parseMacOrThrow("02:42:ac:11:00:02"),
  senderIp: parseIpv4OrThrow("172.17.0.2"),
  targetMac: ZERO_MAC,
  targetIp: parseIpv4OrThrow("172.17.0.3"),
};

describe("arp", () => {
  it("encodes a request byte for byte", () => {
    const bytes = encodeArp(request);
    expect(bytes.length).toBe(ARP_LENGTH);
    expect(Buffer.from(bytes).toString("hex")).toBe("0001080006040001" + "0242ac110002" + "ac110002" + "000000000000" + "ac110003");
  });

  it("ignores trailing Ethernet padding", () => {
    const padded = new Uint8Array(46);
    padded.set(encodeArp(request));
    expect(decodeArp(padded)).toEqual({ ok: true, value: request });
  });

  it("rejects what Linux rejects, saying why", () => {
    const bad = (mutate: (b: Uint8Array) => void): unknown => {
      const b = encodeArp(request);
      mutate(b);
      return decodeArp(b);
    };
    expect(decodeArp(new Uint8Array(27))).toEqual({ ok: false, error: "ARP packet too short: 27 bytes, need 28" });
    expect(bad((b) => (b[1] = 6))).toEqual({ ok: false, error: "ARP hardware type 6 unsupported (expected 1, Ethernet)" });
    expect(bad((b) => ((b[2] = 0x86), (b[3] = 0xdd)))).toEqual({ ok: false, error: "ARP protocol type 0x86dd unsupported (expected 0x0800, IPv4)" });
    expect(bad((b) => (b[4] = 8))).toEqual({ ok: false, error: "ARP hardware address length 8 unsupported (expected 6)" });
    expect(bad((b) => (b[5] = 16))).toEqual({ ok: false, error: "ARP protocol address length 16 unsupported (expected 4)" });
    expect(bad((b) => (b[7] = 3))).toEqual({ ok: false, error: "ARP operation 3 unsupported (expected 1 request or 2 reply)" });
  });

  it("round-trips random requests and replies", () => {
    fc.assert(
      fc.property(
        fc.record({
          operation: fc.constantFrom("request" as const, "reply" as const),
          senderMac: macArb,
          senderIp: ipArb,
          targetMac: macArb,
          targetIp: ipArb,
        }),
        (repr) => {
          expect(decodeArp(encodeArp(repr))).toEqual({ ok: true, value: repr });
        },
      ),
    );
  });
});
