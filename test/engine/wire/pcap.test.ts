// pcap and pcapng writers: every header field re-read from the bytes, and Wireshark's verdict through tshark (always on CI).
import { describe, it, expect } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrame, type FrameSpec, type Ipv4HeaderSpec } from "../../../server/engine/wire/encode-frame.js";
import { parseIpv4OrThrow } from "../../../server/engine/wire/ipv4-address.js";
import { BROADCAST_MAC, ZERO_MAC, parseMacOrThrow } from "../../../server/engine/wire/mac-address.js";
import { decodeFrame, summarizeFrame } from "../../../server/engine/wire/packet.js";
import { DEFAULT_SNAPLEN, LINKTYPE_ETHERNET, writePcap, writePcapng, type CapturedFrame } from "../../../server/engine/wire/pcap.js";
import { externalTool, TOOL_TEST_TIMEOUT_MS } from "../../helpers/external-tool.js";

const macA = parseMacOrThrow("02:42:ac:11:00:02");
const macB = parseMacOrThrow("02:42:ac:11:00:03");
const a = parseIpv4OrThrow("172.17.0.2");
const b = parseIpv4OrThrow("172.17.0.3");
const header = (src = a, dst = b): Ipv4HeaderSpec => ({ src, dst, ttl: 64, dscp: 0, ecn: 0, identification: 0x4d2, dontFragment: true, moreFragments: false, fragmentOffset: 0 });
const data = Uint8Array.from({ length: 56 }, (_, i) => i);

/** A container pinging its neighbour on docker0: ARP request, ARP reply, echo request, echo reply. */
const exchange: readonly FrameSpec[] = [
  { dst: BROADCAST_MAC, src: macA, payload: { kind: "arp", arp: { operation: "request", senderMac: macA, senderIp: a, targetMac: ZERO_MAC, targetIp: b } } },
  { dst: macA, src: macB, payload: { kind: "arp", arp: { operation: "reply", senderMac: macB, senderIp: b, targetMac: macA, targetIp: a } } },
  { dst: macB, src: macA, payload: { kind: "ipv4", header: header(), payload: { kind: "icmp", icmp: { type: "echo-request", identifier: 7, sequence: 1, data } } } },
  { dst: macA, src: macB, payload: { kind: "ipv4", header: header(b, a), payload: { kind: "icmp", icmp: { type: "echo-reply", identifier: 7, sequence: 1, data } } } },
];
const times = [1_700_000_000_000_000n, 1_700_000_000_000_050n, 1_700_000_000_000_120n, 1_700_000_001_999_999n];
const frames: CapturedFrame[] = exchange.map((spec, i) => ({ timeMicros: i % 2 === 0 ? times[i]! : Number(times[i]!), interfaceIndex: i % 2, bytes: encodeFrame(spec) }));
const interfaces = [{ name: "veth1a2b3c" }, { name: "docker0", description: "bridge on host1" }];

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

const tshark = externalTool("tshark");

describe("pcap (classic)", () => {
  it("writes the global header and one record per frame, readable back byte for byte", () => {
    const file = writePcap(frames);
    const v = view(file);
    expect(v.getUint32(0, true)).toBe(0xa1b2c3d4);
    expect(Array.from(file.subarray(0, 4))).toEqual([0xd4, 0xc3, 0xb2, 0xa1]);
    expect(v.getUint16(4, true)).toBe(2);
    expect(v.getUint16(6, true)).toBe(4);
    expect(v.getInt32(8, true)).toBe(0);
    expect(v.getUint32(12, true)).toBe(0);
    expect(v.getUint32(16, true)).toBe(262144);
    expect(v.getUint32(20, true)).toBe(LINKTYPE_ETHERNET);
    let o = 24;
    const summaries: string[] = [];
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i]!;
      expect(BigInt(v.getUint32(o, true)) * 1_000_000n + BigInt(v.getUint32(o + 4, true))).toBe(times[i]);
      expect(v.getUint32(o + 4, true)).toBeLessThan(1_000_000);
      expect(v.getUint32(o + 8, true)).toBe(f.bytes.length);
      expect(v.getUint32(o + 12, true)).toBe(f.bytes.length);
      const bytes = file.subarray(o + 16, o + 16 + f.bytes.length);
      expect(bytes).toEqual(f.bytes);
      summaries.push(summarizeFrame(decodeFrame(bytes)));
      o += 16 + f.bytes.length;
    }
    expect(o).toBe(file.length);
    expect(summaries).toEqual([
      "ARP, Request who-has 172.17.0.3 tell 172.17.0.2, length 28",
      "ARP, Reply 172.17.0.3 is-at 02:42:ac:11:00:03, length 28",
      "IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 7, seq 1, length 64",
      "IP 172.17.0.3 > 172.17.0.2: ICMP echo reply, id 7, seq 1, length 64",
    ]);
  });

  it("cuts frames at the snap length but records their original length", () => {
    const file = writePcap([frames[2]!], { snapLength: 34 });
    const v = view(file);
    expect(v.getUint32(16, true)).toBe(34);
    expect(v.getUint32(24 + 8, true)).toBe(34);
    expect(v.getUint32(24 + 12, true)).toBe(98);
    expect(file.length).toBe(24 + 16 + 34);
  });

  it("rejects times it cannot represent", () => {
    expect(() => writePcap([{ ...frames[0]!, timeMicros: -1 }])).toThrow(RangeError);
    expect(() => writePcap([{ ...frames[0]!, timeMicros: 0.5 }])).toThrow(RangeError);
    expect(() => writePcap([{ ...frames[0]!, timeMicros: 2n ** 32n * 1_000_000n }])).toThrow("does not fit pcap's 32-bit seconds");
    expect(writePcap([]).length).toBe(24);
  });
});

describe("pcapng", () => {
  it("writes SHB, one IDB per interface with if_name, and EPBs, readable back block by block", () => {
    const file = writePcapng(interfaces, frames);
    const v = view(file);
    const blocks: { type: number; body: DataView; start: number; length: number }[] = [];
    for (let o = 0; o < file.length; ) {
      const type = v.getUint32(o, true);
      const length = v.getUint32(o + 4, true);
      expect(length % 4).toBe(0);
      expect(v.getUint32(o + length - 4, true)).toBe(length);
      blocks.push({ type, body: new DataView(file.buffer, file.byteOffset + o, length), start: o, length });
      o += length;
    }
    expect(blocks.map((blk) => blk.type)).toEqual([0x0a0d0d0a, 1, 1, 6, 6, 6, 6]);

    const shb = blocks[0]!.body;
    expect(shb.getUint32(8, true)).toBe(0x1a2b3c4d);
    expect(shb.getUint16(12, true)).toBe(1);
    expect(shb.getUint16(14, true)).toBe(0);
    expect(shb.getBigInt64(16, true)).toBe(-1n);

    const options = (blk: DataView, from: number): Map<number, string> => {
      const out = new Map<number, string>();
      for (let o = from; o < blk.byteLength - 4; ) {
        const code = blk.getUint16(o, true);
        const len = blk.getUint16(o + 2, true);
        if (code === 0) break;
        out.set(code, Buffer.from(blk.buffer, blk.byteOffset + o + 4, len).toString("latin1"));
        o += 4 + ((len + 3) & ~3);
      }
      return out;
    };
    expect(options(shb, 24).get(4)).toBe("cnlab");
    for (const [i, itf] of interfaces.entries()) {
      const idb = blocks[1 + i]!.body;
      expect(idb.getUint16(8, true)).toBe(LINKTYPE_ETHERNET);
      expect(idb.getUint32(12, true)).toBe(DEFAULT_SNAPLEN);
      const opts = options(idb, 16);
      expect(opts.get(2)).toBe(itf.name);
      expect(opts.get(3)).toBe(itf.description);
      expect(opts.get(9)).toBe("\x06");
    }
    for (const [i, f] of frames.entries()) {
      const epb = blocks[3 + i]!.body;
      expect(epb.getUint32(8, true)).toBe(f.interfaceIndex);
      expect((BigInt(epb.getUint32(12, true)) << 32n) | BigInt(epb.getUint32(16, true))).toBe(times[i]);
      expect(epb.getUint32(20, true)).toBe(f.bytes.length);
      expect(epb.getUint32(24, true)).toBe(f.bytes.length);
      const bytes = new Uint8Array(epb.buffer, epb.byteOffset + 28, f.bytes.length);
      expect(bytes).toEqual(f.bytes);
      expect(blocks[3 + i]!.length).toBe(32 + ((f.bytes.length + 3) & ~3));
      expect(decodeFrame(bytes)[1]?.kind).toBe(i < 2 ? "arp" : "ipv4");
    }
  });

  it("rejects frames whose interface was not described", () => {
    expect(() => writePcapng(interfaces, [{ ...frames[0]!, interfaceIndex: 2 }])).toThrow("frame interfaceIndex 2 is not one of the 2 interfaces");
  });
});

describe.skipIf(tshark.skip)("Wireshark's view", { timeout: TOOL_TEST_TIMEOUT_MS }, () => {
  // tshark will not read a capture from a pipe, so each run gets a real file.
  const read = (file: Uint8Array, args: readonly string[]): string => {
    const dir = mkdtempSync(join(tmpdir(), "cnlab-pcap-"));
    try {
      const path = join(dir, "capture");
      writeFileSync(path, file);
      const run = tshark.run(["-r", path, "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", ...args]);
      expect(run.status, run.stderr).toBe(0);
      return run.stdout;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  for (const [format, file] of [
    ["pcap", writePcap(frames)],
    ["pcapng", writePcapng(interfaces, frames)],
  ] as const) {
    it(`decodes the ${format} ARP+ICMP exchange with good checksums and no warnings`, () => {
      const rows = read(file, [
        "-T", "fields", "-E", "separator=|",
        "-e", "frame.protocols", "-e", "frame.time_epoch", "-e", "arp.opcode", "-e", "ip.checksum.status",
        "-e", "icmp.checksum.status", "-e", "icmp.ident", "-e", "_ws.expert.severity", "-e", "_ws.malformed",
      ]).trimEnd().split("\n").map((line) => line.split("|"));
      expect(rows.map((r) => r[0])).toEqual(["eth:ethertype:arp", "eth:ethertype:arp", "eth:ethertype:ip:icmp:data", "eth:ethertype:ip:icmp:data"]);
      expect(rows.map((r) => r[1])).toEqual(["1700000000.000000000", "1700000000.000050000", "1700000000.000120000", "1700000001.999999000"]);
      expect(rows.map((r) => r[2])).toEqual(["1", "2", "", ""]);
      expect(rows.map((r) => r[3])).toEqual(["", "", "1", "1"]); // 1 = Good
      expect(rows.map((r) => r[4])).toEqual(["", "", "1", "1"]);
      expect(rows.map((r) => r[5])).toEqual(["", "", "7", "7"]);
      expect(rows.map((r) => r[6])).toEqual(["", "", "", ""]);
      expect(rows.map((r) => r[7])).toEqual(["", "", "", ""]);
      const expert = read(file, ["-q", "-z", "expert"]);
      expect(expert).not.toMatch(/Errors|Warns/);
    });
  }

  it("shows pcapng interface names", () => {
    const names = read(writePcapng(interfaces, frames), ["-T", "fields", "-e", "frame.interface_name"]).trimEnd().split("\n");
    expect(names).toEqual(["veth1a2b3c", "docker0", "veth1a2b3c", "docker0"]);
  });
});
