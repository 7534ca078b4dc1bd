// DNS messages: bind 9.18's nslookup and dig queries from a real capture decode to what tcpdump
// printed for them, and the cluster DNS server's answers round-trip through the encoder.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeDns, DNS_CLASS_IN, DnsRcode, DnsType, encodeDns, type DnsMessage } from "../../../server/engine/wire/dns.js";
import { decodeFrame, summarizeFrame } from "../../../server/engine/wire/packet.js";
import { encodeFrame } from "../../../server/engine/wire/encode-frame.js";
import { parseMac } from "../../../server/engine/wire/mac-address.js";
import { unwrap } from "../../../server/engine/wire/result.js";
import { parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";
import { linuxCapture } from "../helpers/linux-capture.js";

const header = (over: Partial<DnsMessage["header"]> = {}): DnsMessage["header"] => ({
  id: 0x1234,
  response: false,
  opcode: 0,
  authoritative: false,
  truncated: false,
  recursionDesired: true,
  recursionAvailable: false,
  authenticData: false,
  checkingDisabled: false,
  rcode: 0,
  ...over,
});

describe("dns", () => {
  it("decodes nslookup's and dig's queries and the answers of a real capture as tcpdump prints them", () => {
    const frames = linuxCapture("capture-dns-lookups");
    const lines = readFileSync("test/fixtures/linux/capture-dns-lookups.txt", "utf8").trimEnd().split("\n");
    expect(frames.map((f) => summarizeFrame(f))).toEqual(lines);
    // dig's query carries an EDNS OPT record with a client cookie; nslookup's does not.
    const dig = frames.find((f) => f.some((l) => l.kind === "dns" && l.additional.length === 1))!;
    const opt = dig.find((l) => l.kind === "dns")!;
    expect(opt.kind === "dns" && opt.additional[0]).toEqual({ name: "", type: "OPT", ttl: 0, data: "12 bytes" });
  });

  it("lays out a query as RFC 1035 does: header, labels, type and class", () => {
    const bytes = encodeDns({ header: header(), questions: [{ name: "web.default.svc.cluster.local", type: DnsType.A, class: DNS_CLASS_IN }], answers: [], authority: [], additional: [] });
    expect(Array.from(bytes.subarray(0, 12))).toEqual([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(bytes.subarray(12, 12 + 31))).toBe("\x03web\x07default\x03svc\x07cluster\x05local\x00");
    expect(Array.from(bytes.subarray(-4))).toEqual([0, 1, 0, 1]);
  });

  it("points an answer's name back at the question (0xc00c) and reads it back", () => {
    const m: DnsMessage = {
      header: header({ response: true, authoritative: true }),
      questions: [{ name: "web.default.svc.cluster.local", type: DnsType.A, class: DNS_CLASS_IN }],
      answers: [
        { name: "web.default.svc.cluster.local", type: DnsType.A, class: DNS_CLASS_IN, ttl: 30, data: { kind: "a", address: parseIpv4OrThrow("10.244.1.2") } },
        { name: "web.default.svc.cluster.local", type: DnsType.A, class: DNS_CLASS_IN, ttl: 30, data: { kind: "a", address: parseIpv4OrThrow("10.244.2.2") } },
      ],
      authority: [],
      additional: [],
    };
    const bytes = encodeDns(m);
    expect(Array.from(bytes.subarray(47, 49))).toEqual([0xc0, 0x0c]);
    expect(bytes.length).toBe(79);
    expect(decodeDns(bytes)).toEqual({ ok: true, value: m });
  });

  it("carries NXDOMAIN with the zone's SOA in the authority section", () => {
    const m: DnsMessage = {
      header: header({ response: true, authoritative: true, rcode: DnsRcode.NXDomain }),
      questions: [{ name: "nope.default.svc.cluster.local", type: DnsType.A, class: DNS_CLASS_IN }],
      answers: [],
      authority: [{ name: "cluster.local", type: DnsType.SOA, class: DNS_CLASS_IN, ttl: 30, data: { kind: "soa", soa: { mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial: 1733356800, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 } } }],
      additional: [],
    };
    expect(decodeDns(encodeDns(m))).toEqual({ ok: true, value: m });
  });

  it("refuses pointer loops, forward pointers and names that run past the end", () => {
    const loop = Uint8Array.of(0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1);
    expect(decodeDns(loop)).toEqual({ ok: false, error: "DNS compression pointer at offset 12 does not point backwards (to 12)" });
    const cut = Uint8Array.of(0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 5, 0x61);
    expect(decodeDns(cut)).toEqual({ ok: false, error: "DNS label at offset 12 runs past the end of the message" });
    expect(decodeDns(new Uint8Array(5))).toEqual({ ok: false, error: "DNS message too short: 5 bytes, need at least 12" });
    expect(() => encodeDns({ header: header(), questions: [{ name: `${"a".repeat(64)}.local`, type: 1, class: 1 }], answers: [], authority: [], additional: [] })).toThrow(RangeError);
  });

  it("never throws on random bytes, and a malformed message on port 53 is a malformed layer", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => void decodeDns(b)));
    const header = { src: parseIpv4OrThrow("10.244.2.3"), dst: parseIpv4OrThrow("10.96.0.10"), ttl: 64, dscp: 0, ecn: 0, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0 };
    const frame = (data: Uint8Array) =>
      decodeFrame(encodeFrame({ dst: unwrap(parseMac("0a:58:0a:f4:02:01")), src: unwrap(parseMac("0a:58:0a:f4:02:03")), payload: { kind: "ipv4", header, payload: { kind: "udp", udp: { srcPort: 40000, dstPort: 53 }, data } } }));
    expect(frame(Uint8Array.of(1, 2, 3)).at(-1)).toEqual({ kind: "malformed", protocol: "dns", error: "DNS message too short: 3 bytes, need at least 12", length: 3 });
    expect(summarizeFrame(frame(Uint8Array.of(1, 2, 3)))).toBe("IP 10.244.2.3.40000 > 10.96.0.10.53: [DNS message too short: 3 bytes, need at least 12]");
  });
});
