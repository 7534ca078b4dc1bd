import { describe, expect, it } from "vitest";
import { dissect, fieldAt, type Layer } from "../../web/src/trace/dissect.js";

const hex = (s: string) => Uint8Array.from(s.replace(/\s+/g, "").match(/../g)!.map((b) => parseInt(b, 16)));

// nginx-1 asks who has 172.17.0.3, as the bridge-two-containers lab's first ping sends it.
const ARP_REQUEST = hex(`
  ffffffffffff 0242ac110002 0806
  0001 0800 06 04 0001 0242ac110002 ac110002 000000000000 ac110003`);

// The echo request that follows: IPv4 (DF, TTL 64) + ICMP echo id 0x11be seq 1 + 56 bytes of data.
const ECHO_REQUEST = hex(`
  0242ac110003 0242ac110002 0800
  4500 0054 1234 4000 40 01 0000 ac110002 ac110003
  08 00 0000 11be 0001 ${"ab".repeat(56)}`);

function field(layers: Layer[], kind: string, name: string) {
  const layer = layers.find((l) => l.kind === kind);
  const f = layer?.fields.find((x) => x.name === name);
  if (f === undefined) throw new Error(`no ${kind}.${name} in ${layers.map((l) => l.kind).join(",")}`);
  return f;
}

describe("the layer inspector's dissector", () => {
  it("cuts nginx-1's ARP request into Ethernet and ARP, each field with its bytes", () => {
    const layers = dissect(ARP_REQUEST, "ethernet");
    expect(layers.map((l) => l.kind)).toEqual(["ethernet", "arp"]);
    expect(field(layers, "ethernet", "Destination")).toMatchObject({ value: "ff:ff:ff:ff:ff:ff", start: 0, end: 6 });
    expect(field(layers, "ethernet", "Type")).toMatchObject({ value: "ARP (0x0806)", start: 12, end: 14 });
    expect(field(layers, "arp", "Opcode")).toMatchObject({ value: "request (1)", start: 20, end: 22 });
    expect(field(layers, "arp", "Sender IP address")).toMatchObject({ value: "172.17.0.2", start: 28, end: 32 });
    expect(field(layers, "arp", "Target IP address")).toMatchObject({ value: "172.17.0.3", start: 38, end: 42 });
    expect(layers[1]).toMatchObject({ start: 14, end: 42 });
  });

  it("finds the ICMP echo's identifier and sequence at bytes 38-40 and 40-42 of the frame", () => {
    const layers = dissect(ECHO_REQUEST, "ethernet");
    expect(layers.map((l) => l.kind)).toEqual(["ethernet", "ipv4", "icmp"]);
    expect(field(layers, "ipv4", "Flags").value).toBe("DF");
    expect(field(layers, "ipv4", "Time to live")).toMatchObject({ value: "64", start: 22, end: 23 });
    expect(field(layers, "ipv4", "Source address")).toMatchObject({ value: "172.17.0.2", start: 26, end: 30 });
    expect(field(layers, "icmp", "Type")).toMatchObject({ value: "8 (Echo (ping) request)", start: 34, end: 35 });
    expect(field(layers, "icmp", "Identifier")).toMatchObject({ start: 38, end: 40, value: "4542 (0x11be)" });
    expect(field(layers, "icmp", "Sequence number")).toMatchObject({ value: "1", start: 40, end: 42 });
    expect(field(layers, "icmp", "Data")).toMatchObject({ start: 42, end: 98 });
  });

  it("selects the innermost field under a clicked byte", () => {
    const layers = dissect(ECHO_REQUEST, "ethernet");
    const hit = fieldAt(layers, 39)!;
    expect(layers[hit.layer]!.kind).toBe("icmp");
    expect(layers[hit.layer]!.fields[hit.field]!.name).toBe("Identifier");
    expect(fieldAt(layers, 500)).toBeNull();
  });

  it("reads a raw IPv4 packet (a TUN device) without an Ethernet header", () => {
    const layers = dissect(ECHO_REQUEST.subarray(14), "raw");
    expect(layers.map((l) => l.kind)).toEqual(["ipv4", "icmp"]);
    expect(field(layers, "ipv4", "Destination address")).toMatchObject({ value: "172.17.0.3", start: 16, end: 20 });
  });

  it("opens a VXLAN packet down to the inner frame's ICMP, with absolute offsets", () => {
    const inner = ECHO_REQUEST;
    const udpLength = 8 + 8 + inner.length;
    const outer = hex(`
      aaaaaaaaaaaa bbbbbbbbbbbb 0800
      4500 ${(20 + udpLength).toString(16).padStart(4, "0")} 0001 0000 40 11 0000 0aa80002 0aa80003
      a0d2 2118 ${udpLength.toString(16).padStart(4, "0")} 0000
      08 000000 000001 00`);
    const frame = new Uint8Array(outer.length + inner.length);
    frame.set(outer);
    frame.set(inner, outer.length);
    const layers = dissect(frame, "ethernet");
    expect(layers.map((l) => l.kind)).toEqual(["ethernet", "ipv4", "udp", "vxlan", "ethernet", "ipv4", "icmp"]);
    expect(field(layers, "vxlan", "VXLAN Network Identifier (VNI)")).toMatchObject({ value: "1", start: 46, end: 49 });
    expect(layers[4]!.start).toBe(50);
    expect(layers[6]!.fields.find((f) => f.name === "Identifier")).toMatchObject({ start: 50 + 38, end: 50 + 40 });
  });

  it("parses a TCP SYN's ports and flags", () => {
    const syn = hex(`
      4500 0028 0001 4000 40 06 0000 ac110001 ac110002
      c350 0050 00000064 00000000 5002 faf0 0000 0000`);
    const layers = dissect(syn, "raw");
    expect(field(layers, "tcp", "Destination port")).toMatchObject({ value: "80", start: 22, end: 24 });
    expect(field(layers, "tcp", "Flags").value).toContain("SYN");
    expect(field(layers, "tcp", "Flags").value).not.toContain("ACK");
  });

  it("opens a cluster DNS answer: header counts, the question and two A records behind a compression pointer", () => {
    // 10.96.0.10:53 answers web.default.svc.cluster.local with two pod addresses (79 bytes of DNS).
    const name = "03776562 0764656661756c74 03737663 07636c7573746572 056c6f63616c 00";
    const answer = (ip: string) => `c00c 0001 0001 0000001e 0004 ${ip}`;
    const dnsBytes = `1a2b 8500 0001 0002 0000 0000 ${name} 0001 0001 ${answer("0af40102")} ${answer("0af40202")}`;
    const frame = hex(`0a58 0af4 0203 0a58 0af4 0201 0800 4500 006b 0001 4000 40 11 0000 0a60000a 0af40203 0035 9c40 0057 0000 ${dnsBytes}`);
    const layers = dissect(frame, "ethernet");
    expect(layers.map((l) => l.kind)).toEqual(["ethernet", "ipv4", "udp", "dns"]);
    expect(layers[3]!.title).toBe("Domain Name System (response), A web.default.svc.cluster.local");
    expect(field(layers, "dns", "Flags").value).toBe("0x8500 (response, authoritative, recursion desired; No error)");
    const answers = layers[3]!.fields.filter((f) => f.name === "Answer");
    expect(answers.map((f) => f.value)).toEqual(["web.default.svc.cluster.local: type A, ttl 30, addr 10.244.1.2", "web.default.svc.cluster.local: type A, ttl 30, addr 10.244.2.2"]);
    expect(answers[0]).toMatchObject({ start: 42 + 47, end: 42 + 63 });
    expect(layers[3]!.end).toBe(frame.length);
  });

  it("calls a cut-off frame malformed instead of throwing", () => {
    const layers = dissect(ARP_REQUEST.subarray(0, 20), "ethernet");
    expect(layers.map((l) => l.kind)).toEqual(["ethernet", "malformed"]);
    expect(layers[1]!.title).toContain("28 bytes");
  });

  it("treats a later fragment's bytes as data, not as an ICMP header", () => {
    const fragment = hex(`4500 0030 1234 00b9 40 01 0000 ac110002 ac110003 ${"cd".repeat(28)}`);
    const layers = dissect(fragment, "raw");
    expect(layers.map((l) => l.kind)).toEqual(["ipv4", "payload"]);
    expect(field(layers, "ipv4", "Fragment offset").value).toBe("1480");
  });
});
