// Whole-frame decoding into JSON layers and tcpdump-worded summaries; checked against real tcpdump (always on CI).
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { encodeFrame, encodeIpv4Packet, type FrameSpec, type Ipv4HeaderSpec } from "../../../server/engine/wire/encode-frame.js";
import { icmpErrorQuote } from "../../../server/engine/wire/icmp.js";
import { parseIpv4OrThrow, type Ipv4Address } from "../../../server/engine/wire/ipv4-address.js";
import { BROADCAST_MAC, ZERO_MAC, parseMacOrThrow } from "../../../server/engine/wire/mac-address.js";
import { decodeFrame, summarizeFrame, type DecodedFrame } from "../../../server/engine/wire/packet.js";
import { writePcap } from "../../../server/engine/wire/pcap.js";
import { tcpFlags, type TcpRepr } from "../../../server/engine/wire/tcp.js";
import { externalTool, TOOL_TEST_TIMEOUT_MS } from "../../helpers/external-tool.js";

const macA = parseMacOrThrow("02:42:ac:11:00:02");
const macB = parseMacOrThrow("02:42:ac:11:00:03");
const a = parseIpv4OrThrow("172.17.0.2");
const b = parseIpv4OrThrow("172.17.0.3");
const u1 = parseIpv4OrThrow("192.168.0.1");
const u2 = parseIpv4OrThrow("192.168.0.2");
const ping = Uint8Array.from({ length: 56 }, (_, i) => i);

function hdr(src: Ipv4Address = a, dst: Ipv4Address = b, extra: Partial<Ipv4HeaderSpec> = {}): Ipv4HeaderSpec {
  return { src, dst, ttl: 64, dscp: 0, ecn: 0, identification: 1, dontFragment: true, moreFragments: false, fragmentOffset: 0, ...extra };
}
function ip(payload: Extract<FrameSpec["payload"], { kind: "ipv4" }>["payload"], header = hdr(), dst = macB, src = macA): FrameSpec {
  return { dst, src, payload: { kind: "ipv4", header, payload } };
}
function tcp(extra: Partial<TcpRepr>, data = new Uint8Array(0), header = hdr()): FrameSpec {
  const repr: TcpRepr = { srcPort: 43512, dstPort: 81, seq: 1000, ack: 0, flags: tcpFlags({ syn: true }), window: 64240, urgent: 0, ...extra };
  return ip({ kind: "tcp", tcp: repr, data }, header);
}

const udpDatagram = encodeIpv4Packet({ header: hdr(), payload: { kind: "udp", udp: { srcPort: 40000, dstPort: 9999 }, data: new Uint8Array(5) } });
const tcpDatagram = encodeIpv4Packet({
  header: hdr(),
  payload: { kind: "tcp", tcp: { srcPort: 43512, dstPort: 81, seq: 1, ack: 0, flags: tcpFlags({ syn: true }), window: 1, urgent: 0 }, data: new Uint8Array(0) },
});
const arpRequest: FrameSpec = {
  dst: BROADCAST_MAC,
  src: macA,
  payload: { kind: "arp", arp: { operation: "request", senderMac: macA, senderIp: a, targetMac: ZERO_MAC, targetIp: b } },
};
const echoRequest = ip({ kind: "icmp", icmp: { type: "echo-request", identifier: 1, sequence: 1, data: ping } });
const unreachable = (code: 0 | 1 | 2 | 3 | 13, quoted = udpDatagram): FrameSpec =>
  ip({ kind: "icmp", icmp: { type: "destination-unreachable", code, original: icmpErrorQuote(quoted) } }, hdr(b, a), macA, macB);

/** Frames paired with what `tcpdump -n -S -t` prints for them (checked by the tcpdump test below). */
const samples: readonly (readonly [string, FrameSpec])[] = [
  ["ARP, Request who-has 172.17.0.3 tell 172.17.0.2, length 28", arpRequest],
  [
    "ARP, Request who-has 172.17.0.3 (02:42:ac:11:00:03) tell 172.17.0.2, length 28",
    { ...arpRequest, payload: { kind: "arp", arp: { operation: "request", senderMac: macA, senderIp: a, targetMac: macB, targetIp: b } } },
  ],
  [
    "ARP, Reply 172.17.0.3 is-at 02:42:ac:11:00:03, length 28",
    { dst: macA, src: macB, payload: { kind: "arp", arp: { operation: "reply", senderMac: macB, senderIp: b, targetMac: macA, targetIp: a } } },
  ],
  ["IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64", echoRequest],
  [
    "IP 172.17.0.3 > 172.17.0.2: ICMP echo reply, id 1, seq 1, length 64",
    ip({ kind: "icmp", icmp: { type: "echo-reply", identifier: 1, sequence: 1, data: ping } }, hdr(b, a), macA, macB),
  ],
  ["IP 172.17.0.2.43512 > 172.17.0.3.81: Flags [S], seq 1000, win 64240, length 0", tcp({})],
  [
    "IP 172.17.0.2.43512 > 172.17.0.3.81: Flags [S], seq 1000, win 64240, options [mss 1460,sackOK,TS val 12345 ecr 0,nop,wscale 7], length 0",
    tcp({ mss: 1460, sackPermitted: true, timestamps: { value: 12345, echo: 0 }, windowScale: 7 }),
  ],
  [
    "IP 172.17.0.3.81 > 172.17.0.2.43512: Flags [S.], seq 5000, ack 1001, win 65160, options [mss 1460,nop,nop,sackOK,nop,wscale 7], length 0",
    tcp({ srcPort: 81, dstPort: 43512, seq: 5000, ack: 1001, flags: tcpFlags({ syn: true, ack: true }), window: 65160, mss: 1460, sackPermitted: true, windowScale: 7 }, undefined, hdr(b, a)),
  ],
  [
    "IP 172.17.0.2.43512 > 172.17.0.3.81: Flags [P.], seq 1001:1101, ack 5001, win 502, length 100",
    tcp({ seq: 1001, ack: 5001, flags: tcpFlags({ psh: true, ack: true }), window: 502 }, new Uint8Array(100)),
  ],
  ["IP 172.17.0.2.43512 > 172.17.0.3.81: Flags [F.], seq 1101, ack 5001, win 502, length 0", tcp({ seq: 1101, ack: 5001, flags: tcpFlags({ fin: true, ack: true }), window: 502 })],
  ["IP 172.17.0.2.43512 > 172.17.0.3.81: Flags [R.], seq 1101, ack 5001, win 0, length 0", tcp({ seq: 1101, ack: 5001, flags: tcpFlags({ rst: true, ack: true }), window: 0 })],
  ["IP 172.17.0.2.43512 > 172.17.0.3.81: Flags [RUEW], seq 1101, win 0, urg 3, length 0", tcp({ seq: 1101, flags: tcpFlags({ rst: true, urg: true, ece: true, cwr: true }), window: 0, urgent: 3 })],
  ["IP 172.17.0.2.43512 > 172.17.0.3.81: Flags [none], win 0, length 0", tcp({ flags: tcpFlags({}), window: 0 })],
  ["IP 172.17.0.2.40000 > 172.17.0.3.9999: UDP, length 5", ip({ kind: "udp", udp: { srcPort: 40000, dstPort: 9999 }, data: new Uint8Array(5) })],
  ["IP 172.17.0.3 > 172.17.0.2: ICMP 172.17.0.3 udp port 9999 unreachable, length 41", unreachable(3)],
  ["IP 172.17.0.3 > 172.17.0.2: ICMP 172.17.0.3 tcp port 81 unreachable, length 48", unreachable(3, tcpDatagram)],
  ["IP 172.17.0.3 > 172.17.0.2: ICMP net 172.17.0.3 unreachable, length 41", unreachable(0)],
  ["IP 172.17.0.3 > 172.17.0.2: ICMP host 172.17.0.3 unreachable, length 41", unreachable(1)],
  ["IP 172.17.0.3 > 172.17.0.2: ICMP 172.17.0.3 protocol 17 unreachable, length 41", unreachable(2)],
  ["IP 172.17.0.3 > 172.17.0.2: ICMP host 172.17.0.3 unreachable - admin prohibited filter, length 41", unreachable(13)],
  [
    "IP 172.17.0.3 > 172.17.0.2: ICMP 172.17.0.3 unreachable - need to frag (mtu 1400), length 41",
    ip({ kind: "icmp", icmp: { type: "destination-unreachable", code: 4, nextHopMtu: 1400, original: udpDatagram } }, hdr(b, a), macA, macB),
  ],
  [
    "IP 172.17.0.3 > 172.17.0.2: ICMP time exceeded in-transit, length 41",
    ip({ kind: "icmp", icmp: { type: "time-exceeded", code: 0, original: udpDatagram } }, hdr(b, a), macA, macB),
  ],
  [
    "IP 172.17.0.3 > 172.17.0.2: ICMP ip reassembly time exceeded, length 41",
    ip({ kind: "icmp", icmp: { type: "time-exceeded", code: 1, original: udpDatagram } }, hdr(b, a), macA, macB),
  ],
  ["IP 172.17.0.3 > 172.17.0.2: ICMP type-#42, length 12", ip({ kind: "icmp", icmp: { type: "other", icmpType: 42, code: 0, rest: new Uint8Array(8) } }, hdr(b, a))],
  ["IP 172.17.0.2 > 172.17.0.3:  ip-proto-253 10", ip({ kind: "raw", protocol: 253, bytes: new Uint8Array(10) })],
  ["IP 172.17.0.2 > 172.17.0.3: ip-proto-17", ip({ kind: "raw", protocol: 17, bytes: new Uint8Array(10) }, hdr(a, b, { dontFragment: false, fragmentOffset: 185 }))],
  [
    "IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64",
    ip({ kind: "icmp", icmp: { type: "echo-request", identifier: 1, sequence: 1, data: ping } }, hdr(a, b, { dontFragment: false, moreFragments: true })),
  ],
  [
    "IP 192.168.0.1 > 192.168.0.2: IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64",
    ip({ kind: "ipip", inner: { header: hdr(), payload: { kind: "icmp", icmp: { type: "echo-request", identifier: 1, sequence: 1, data: ping } } } }, hdr(u1, u2)),
  ],
];

const vxlanEcho = ip({ kind: "vxlan", udp: { srcPort: 34567, dstPort: 4789 }, vni: 42, inner: echoRequest }, hdr(u1, u2));

const tcpdump = externalTool("tcpdump");

function layersOf(spec: FrameSpec): DecodedFrame {
  return decodeFrame(encodeFrame(spec));
}

describe("packet: decodeFrame", () => {
  it("decodes an ARP request into JSON-ready layers", () => {
    expect(layersOf(arpRequest)).toEqual([
      { kind: "ethernet", dst: "ff:ff:ff:ff:ff:ff", src: "02:42:ac:11:00:02", etherType: 0x0806, length: 42 },
      {
        kind: "arp",
        operation: "request",
        senderMac: "02:42:ac:11:00:02",
        senderIp: "172.17.0.2",
        targetMac: "00:00:00:00:00:00",
        targetIp: "172.17.0.3",
        length: 28,
      },
    ]);
  });

  it("decodes an ICMP echo with every IPv4 field", () => {
    const layers = layersOf(echoRequest);
    expect(layers[1]).toEqual({
      kind: "ipv4",
      src: "172.17.0.2",
      dst: "172.17.0.3",
      protocol: 1,
      ttl: 64,
      dscp: 0,
      ecn: 0,
      identification: 1,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      headerLength: 20,
      totalLength: 84,
      checksum: expect.any(Number),
    });
    expect(layers[2]).toEqual({ kind: "icmp", type: "echo-request", identifier: 1, sequence: 1, length: 64, checksum: expect.any(Number) });
    expect(layers).toHaveLength(3);
  });

  it("reads what an ICMP error quotes", () => {
    const layers = layersOf(unreachable(3));
    expect(layers[2]).toEqual({
      kind: "icmp",
      type: "destination-unreachable",
      code: 3,
      nextHopMtu: null,
      quoted: { src: "172.17.0.2", dst: "172.17.0.3", protocol: 17, srcPort: 40000, dstPort: 9999 },
      length: 41,
      checksum: expect.any(Number),
    });
  });

  it("decodes TCP flags, options and payload length", () => {
    const layers = layersOf(tcp({ mss: 1460 }, new Uint8Array(7)));
    expect(layers[2]).toMatchObject({
      kind: "tcp",
      srcPort: 43512,
      dstPort: 81,
      seq: 1000,
      flags: { syn: true, ack: false, fin: false, rst: false, psh: false, urg: false, ece: false, cwr: false },
      headerLength: 24,
      options: [{ kind: "mss", value: 1460 }],
      payloadLength: 7,
    });
  });

  it("follows VXLAN into the inner frame, on the configured ports", () => {
    const layers = layersOf(vxlanEcho);
    expect(layers.map((l) => l.kind)).toEqual(["ethernet", "ipv4", "udp", "vxlan", "ethernet", "ipv4", "icmp"]);
    expect(layers[3]).toEqual({ kind: "vxlan", vni: 42, flags: 8 });
    expect(layers[2]).toMatchObject({ kind: "udp", dstPort: 4789, checksum: 0, payloadLength: 8 + 98 });
    const flannel = encodeFrame(ip({ kind: "vxlan", udp: { srcPort: 34567, dstPort: 8472 }, vni: 1, inner: arpRequest }, hdr(u1, u2)));
    expect(decodeFrame(flannel).map((l) => l.kind)).toEqual(["ethernet", "ipv4", "udp"]);
    expect(decodeFrame(flannel, { vxlanPorts: [8472] }).map((l) => l.kind)).toEqual(["ethernet", "ipv4", "udp", "vxlan", "ethernet", "arp"]);
  });

  it("yields raw layers for what it does not interpret", () => {
    const unknown = layersOf({ dst: macB, src: macA, payload: { kind: "raw", etherType: 0x88b5, bytes: new Uint8Array(10) } });
    expect(unknown[1]).toEqual({ kind: "raw", reason: "unknown-ethertype", length: 10 });
    expect(layersOf(ip({ kind: "raw", protocol: 253, bytes: new Uint8Array(10) }))[2]).toEqual({ kind: "raw", reason: "unknown-protocol", length: 10 });
    const fragment = layersOf(ip({ kind: "raw", protocol: 17, bytes: new Uint8Array(10) }, hdr(a, b, { fragmentOffset: 185 })));
    expect(fragment[2]).toEqual({ kind: "raw", reason: "ip-fragment", length: 10 });
  });

  it("turns decoder errors into malformed layers, and can skip checksum checks", () => {
    const bytes = encodeFrame(echoRequest);
    bytes[14 + 10] = bytes[14 + 10]! ^ 0xff; // IPv4 header checksum
    const layers = decodeFrame(bytes);
    expect(layers[1]).toEqual({ kind: "malformed", protocol: "ipv4", error: expect.stringMatching(/^IPv4 header checksum 0x[0-9a-f]{4} is wrong/), length: 84 });
    expect(summarizeFrame(layers)).toMatch(/^IP \[IPv4 header checksum 0x[0-9a-f]{4} is wrong \(expected 0x[0-9a-f]{4}\)\]$/);
    expect(decodeFrame(bytes, { verifyChecksums: false }).map((l) => l.kind)).toEqual(["ethernet", "ipv4", "icmp"]);
    expect(decodeFrame(new Uint8Array(5))).toEqual([{ kind: "malformed", protocol: "ethernet", error: "Ethernet frame too short: 5 bytes, need at least 14", length: 5 }]);
    expect(summarizeFrame(decodeFrame(new Uint8Array(5)))).toBe("[Ethernet frame too short: 5 bytes, need at least 14]");
    const tcpBytes = encodeFrame(tcp({}));
    tcpBytes[14 + 20 + 17] = tcpBytes[14 + 20 + 17]! ^ 1;
    expect(summarizeFrame(decodeFrame(tcpBytes))).toMatch(/^IP 172\.17\.0\.2 > 172\.17\.0\.3: \[TCP checksum 0x[0-9a-f]{4} is wrong/);
  });

  it("produces plain JSON: serialising and parsing gives the same layers", () => {
    for (const [, spec] of [...samples, ["", vxlanEcho] as const]) {
      const layers = layersOf(spec);
      expect(JSON.parse(JSON.stringify(layers))).toEqual(layers);
    }
  });

  it("never throws on random bytes, and what it returns serialises and summarises", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (bytes, verify) => {
        const layers = decodeFrame(bytes, { verifyChecksums: verify, vxlanPorts: [4789, 8472] });
        expect(typeof summarizeFrame(layers)).toBe("string");
        expect(typeof summarizeFrame(layers, { link: true })).toBe("string");
        expect(JSON.parse(JSON.stringify(layers))).toEqual(layers);
      }),
      { numRuns: 2000 },
    );
  });

  it("never throws on valid frames with random corruption", () => {
    const frames = [...samples.map(([, s]) => encodeFrame(s)), encodeFrame(vxlanEcho)];
    fc.assert(
      fc.property(
        fc.constantFrom(...frames),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
        fc.nat(),
        (frame, edits, cut) => {
          const bytes = frame.slice(0, Math.max(0, frame.length - (cut % 8)));
          for (const [at, value] of edits) if (bytes.length > 0) bytes[at % bytes.length] = value;
          for (const verify of [true, false]) {
            const layers = decodeFrame(bytes, { verifyChecksums: verify });
            expect(typeof summarizeFrame(layers)).toBe("string");
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe("packet: summarizeFrame", () => {
  it("words the brief's examples exactly", () => {
    expect(summarizeFrame(layersOf(arpRequest))).toBe("ARP, Request who-has 172.17.0.3 tell 172.17.0.2, length 28");
    expect(summarizeFrame(layersOf(echoRequest))).toBe("IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64");
    expect(summarizeFrame(layersOf(tcp({ dstPort: 80 })))).toBe("IP 172.17.0.2.43512 > 172.17.0.3.80: Flags [S], seq 1000, win 64240, length 0");
  });

  it.each(samples)("%s", (expected, spec) => {
    expect(summarizeFrame(layersOf(spec))).toBe(expected);
  });

  it("prefixes the link header like tcpdump -e", () => {
    expect(summarizeFrame(layersOf(arpRequest), { link: true })).toBe(
      "02:42:ac:11:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 172.17.0.3 tell 172.17.0.2, length 28",
    );
    expect(summarizeFrame(layersOf(echoRequest), { link: true })).toBe(
      "02:42:ac:11:00:02 > 02:42:ac:11:00:03, ethertype IPv4 (0x0800), length 98: 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64",
    );
  });

  it("reports ARP length with Ethernet padding included, as tcpdump does", () => {
    const padded = new Uint8Array(60);
    padded.set(encodeFrame(arpRequest));
    expect(summarizeFrame(decodeFrame(padded))).toBe("ARP, Request who-has 172.17.0.3 tell 172.17.0.2, length 46");
  });

  it("puts a VXLAN inner frame on the same line", () => {
    expect(summarizeFrame(layersOf(vxlanEcho))).toBe(
      "IP 192.168.0.1.34567 > 192.168.0.2.4789: VXLAN, flags [I] (0x08), vni 42: IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64",
    );
    expect(summarizeFrame(layersOf(vxlanEcho), { link: true })).toBe(
      "02:42:ac:11:00:02 > 02:42:ac:11:00:03, ethertype IPv4 (0x0800), length 148: 192.168.0.1.34567 > 192.168.0.2.4789: VXLAN, flags [I] (0x08), vni 42: " +
        "02:42:ac:11:00:02 > 02:42:ac:11:00:03, ethertype IPv4 (0x0800), length 98: 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64",
    );
  });

  it("summarises unknown EtherTypes with the link header", () => {
    const unknown: FrameSpec = { dst: macB, src: macA, payload: { kind: "raw", etherType: 0x88b5, bytes: new Uint8Array(10) } };
    expect(summarizeFrame(layersOf(unknown))).toBe("02:42:ac:11:00:02 > 02:42:ac:11:00:03, ethertype Unknown (0x88b5), length 24");
  });

  it.skipIf(tcpdump.skip)("matches real tcpdump -n -S line for line", () => {
    const pcap = writePcap(samples.map(([, spec], i) => ({ timeMicros: i, interfaceIndex: 0, bytes: encodeFrame(spec) })));
    for (const [flags, link] of [[["-n", "-S", "-t"], false], [["-n", "-S", "-t", "-e"], true]] as const) {
      const run = tcpdump.run([...flags, "-r", "-"], pcap);
      expect(run.status, run.stderr).toBe(0);
      const lines = run.stdout.trimEnd().split("\n");
      expect(lines).toEqual(samples.map(([, spec]) => summarizeFrame(layersOf(spec), { link })));
    }
  }, TOOL_TEST_TIMEOUT_MS);
});
