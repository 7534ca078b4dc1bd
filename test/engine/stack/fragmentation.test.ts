/**
 * IPv4 fragmentation and reassembly, against what Linux did on veth pairs in
 * namespaces (ping -s 3000 over MTU 1500: fragments of 1500, 1500 and 68
 * bytes at offsets 0, 1480 and 2960, MF on all but the last, DF clear, one
 * IP id; ping -M do: "local error: message too long, mtu=1500"; a peer with a
 * smaller MTU drops the frame and counts it in RX dropped).
 */
import { describe, expect, it } from "vitest";
import type { Ipv4Payload } from "../../../server/engine/link/payload.js";
import type { Ipv4Layer } from "../../../server/engine/wire/packet.js";
import { buildNetwork } from "../../../server/engine/topology/build-network.js";
import type { TopologySpec } from "../../../server/engine/topology/topology-schema.js";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { engineFor, labEngine, loadLab } from "../helpers/lab-engine.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";

const ipv4Of = (e: TraceEvent) => e.layers?.find((l): l is Ipv4Layer => l.kind === "ipv4");

/** A frame as `tcpdump -n -v` prints it (its IPv4 header line, then the summary), without the timestamp. */
function tcpdumpV(e: TraceEvent): string {
  const ip = ipv4Of(e)!;
  const flags = ip.dontFragment ? "[DF]" : ip.moreFragments ? "[+]" : "[none]";
  const header = `IP (tos 0x0, ttl ${ip.ttl}, id ${ip.identification}, offset ${ip.fragmentOffset * 8}, flags ${flags}, proto ICMP (1), length ${ip.totalLength})`;
  return `${header}\n    ${e.summary.replace(/^\S+ (sends|receives) IP /, "")}`;
}

/** Ids and times differ between any two runs; the rest must not. */
const normalise = (text: string) =>
  text
    .replace(/^\d\d:\d\d:\d\d\.\d+ /gm, "")
    .replace(/\bid \d+/g, "id N")
    .replace(/time[= ][\d.]+ ?ms/g, "time T")
    .replace(/= [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms/, "= R ms");

describe("IPv4 fragmentation", () => {
  it("cuts a packet larger than the MTU into fragments as Linux does, and the receiver reassembles it", () => {
    const engine = labEngine("bridge-two-containers");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -s 3000 172.17.0.3" });
    const ping = linuxFixture("nginx-1-ping-c-1-s-3000-172-17-0-3");
    expect(normalise(r.output)).toBe(normalise(ping.text));
    expect(r.exitCode).toBe(ping.exit);
    // What tcpdump -v saw on the receiving eth0, both ways.
    const onNginx2 = r.events.filter((e) => e.namespace === "nginx-2" && e.device === "eth0" && (e.kind === "frame-rx" || e.kind === "frame-tx") && ipv4Of(e) !== undefined);
    expect(onNginx2.map((e) => e.kind)).toEqual(["frame-rx", "frame-rx", "frame-rx", "frame-tx", "frame-tx", "frame-tx"]);
    expect(normalise(onNginx2.map(tcpdumpV).join("\n") + "\n")).toBe(normalise(linuxFixture("nginx-2-tcpdump-n-v-ping-s-3000").text));
    expect(r.output).toContain("PING 172.17.0.3 (172.17.0.3) 3000(3028) bytes of data.");
    expect(r.output).toContain("3008 bytes from 172.17.0.3: icmp_seq=1 ttl=64");

    const sent = r.events.filter((e) => e.kind === "frame-tx" && e.namespace === "nginx-1" && ipv4Of(e) !== undefined).map(ipv4Of);
    expect(sent.map((ip) => [ip!.totalLength, ip!.fragmentOffset * 8, ip!.moreFragments, ip!.dontFragment])).toEqual([
      [1500, 0, true, false],
      [1500, 1480, true, false],
      [68, 2960, false, false],
    ]);
    expect(new Set(sent.map((ip) => ip!.identification)).size).toBe(1);

    const fragment = r.events.find((e) => e.kind === "ip-fragment" && e.namespace === "nginx-1");
    expect(fragment).toMatchObject({ kind: "ip-fragment", device: "eth0", outDevice: "eth0", mtu: 1500, length: 3028, fragments: 3 });
    const reassembled = r.events.find((e) => e.kind === "ip-reassemble" && e.namespace === "nginx-2");
    expect(reassembled).toMatchObject({ length: 3028, fragments: 3 });
    // The first fragment reads as the echo request; the others as bare protocol 1, as tcpdump -n prints them.
    const rx = r.events.filter((e) => e.kind === "frame-rx" && e.namespace === "nginx-2" && ipv4Of(e) !== undefined).map((e) => e.summary);
    expect(rx[0]).toBe("eth0 receives IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id " + /id (\d+)/.exec(rx[0]!)![1] + ", seq 1, length 1480");
    expect(rx.slice(1)).toEqual(["eth0 receives IP 172.17.0.2 > 172.17.0.3: ip-proto-1", "eth0 receives IP 172.17.0.2 > 172.17.0.3: ip-proto-1"]);
    // Reassembly comes before delivery, and the reply is fragmented the same way.
    const order = r.events.filter((e) => e.namespace === "nginx-2" && ["ip-reassemble", "ip-local", "icmp-echo", "ip-fragment"].includes(e.kind)).map((e) => e.kind);
    expect(order).toEqual(["ip-reassemble", "ip-local", "icmp-echo", "ip-fragment"]);
  });

  it("ping -M do refuses to fragment: a local EMSGSIZE error, nothing on the wire", () => {
    const engine = labEngine("bridge-two-containers");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -M do -s 1473 172.17.0.3" });
    const f = linuxFixture("nginx-1-ping-c-1-M-do-s-1473-172-17-0-3");
    expect([r.output, r.exitCode]).toEqual([f.text, f.exit]);
    expect(r.events.some((e) => e.kind === "frame-tx")).toBe(false);
    expect(r.events.find((e) => e.kind === "drop")).toMatchObject({ reason: "mtu-exceeded", device: "eth0" });
    // One byte less fits: DF set, one frame each way.
    const fits = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -M do -s 1472 172.17.0.3" });
    expect(fits.exitCode).toBe(0);
    expect(fits.events.some((e) => e.kind === "ip-fragment")).toBe(false);
  });

  it("accepts -M want and dont, rejects anything else, and sends nothing for a payload no datagram can hold", () => {
    const engine = labEngine("bridge-two-containers");
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -M dont 172.17.0.3" }).exitCode).toBe(0);
    for (const [command, file] of [
      ["ping -c 1 -M sometimes 172.17.0.3", "nginx-1-ping-c-1-M-sometimes-172-17-0-3"],
      ["ping -c 1 -s 9999999999 172.17.0.3", "nginx-1-ping-c-1-s-9999999999-172-17-0-3"],
    ] as const) {
      const bad = engine.run({ host: "node1", namespace: "nginx-1", command });
      const f = linuxFixture(file);
      expect([bad.output, bad.exitCode]).toEqual([f.text, f.exit]);
    }
    // Past 65507 bytes no datagram can hold the payload: a local error while the ICMP message still fits 16 bits, then silence.
    for (const size of [65508, 65528]) {
      const huge = engine.run({ host: "node1", namespace: "nginx-1", command: `ping -c 1 -W 1 -s ${size} 172.17.0.3` });
      const f = linuxFixture(`nginx-1-ping-c-1-s-${size}-172-17-0-3`);
      expect([huge.output, huge.exitCode]).toEqual([f.text, f.exit]);
      expect(huge.events.some((e) => e.kind === "frame-tx")).toBe(false);
    }
  });

  it("a Docker host reassembles for conntrack, masquerades the whole datagram and fragments it again", () => {
    const engine = labEngine("container-to-other-host");
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -s 3000 10.168.0.3" });
    expect(r.exitCode).toBe(0);
    const steps = r.events
      .filter((e) => e.host === "node1" && e.namespace === "root" && ["ip-reassemble", "nat", "ip-fragment"].includes(e.kind))
      .map((e) => e.kind)
      .slice(0, 3);
    expect(steps).toEqual(["ip-reassemble", "nat", "ip-fragment"]);
    const out = r.events.filter((e) => e.kind === "frame-tx" && e.host === "node1" && e.namespace === "root" && e.device === "eth0" && ipv4Of(e)?.protocol === 1);
    expect(out.map((e) => ipv4Of(e)!.src)).toEqual(["10.168.0.2", "10.168.0.2", "10.168.0.2"]);
  });

  it("a router forwards fragments and fragments again for a smaller MTU, but answers DF packets with frag needed", () => {
    const engine = labEngine("calico");
    const r = engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 -s 3000 10.244.2.2" });
    expect(r.exitCode).toBe(0);
    // 1500-byte fragments do not fit tunl0 (MTU 1480): each is cut again, keeping its offset.
    expect(r.events.filter((e) => e.kind === "ip-fragment" && e.host === "node1" && e.namespace === "root")).toHaveLength(2);
    expect(r.events.find((e) => e.kind === "ip-reassemble" && e.namespace === "c3")).toMatchObject({ fragments: 5, length: 3028 });
    const df = engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 -M do -s 1472 10.244.2.2" });
    expect(df.output).toMatch(/\nFrom [\d.]+ icmp_seq=1 Frag needed and DF set \(mtu = 1480\)\n/);
  });
});

describe("a datagram conntrack reassembled", () => {
  /** a — router — b, the router's link to b with MTU 9000, as in the Linux capture. */
  const routed: TopologySpec = {
    segments: [{ name: "left" }, { name: "right" }],
    hosts: [
      { name: "a", nics: [{ name: "eth0", segment: "left", mac: "02:00:00:00:01:02", addresses: ["10.0.1.2/24"] }], routes: [{ to: "default", via: "10.0.1.1" }] },
      {
        name: "router",
        forwarding: true,
        nics: [
          { name: "eth0", segment: "left", mac: "02:00:00:00:01:01", addresses: ["10.0.1.1/24"] },
          { name: "eth1", segment: "right", mac: "02:00:00:00:02:01", mtu: 9000, addresses: ["10.0.2.1/24"] },
        ],
      },
      { name: "b", nics: [{ name: "eth0", segment: "right", mac: "02:00:00:00:02:02", mtu: 9000, addresses: ["10.0.2.2/24"] }], routes: [{ to: "default", via: "10.0.2.1" }] },
    ],
  };

  it("leaves the router in the fragments it came in, though the next link's MTU would take it whole (frag_max_size)", () => {
    const engine = engineFor(routed);
    expect(engine.run({ host: "router", command: "iptables -A FORWARD -m conntrack --ctstate NEW,ESTABLISHED -j ACCEPT" }).exitCode).toBe(0);
    expect(engine.run({ host: "a", command: "ping -c 1 10.0.2.2" }).exitCode).toBe(0);
    const ping = engine.run({ host: "a", command: "ping -c 1 -s 2000 10.0.2.2" });
    expect(ping.exitCode).toBe(0);
    const masked = (text: string) => text.replace(/^\d\d:\d\d:\d\d\.\d{6} /gm, "T ").replace(/\bid \d+/g, "id N");
    const real = linuxFixture("frag-max-size-b-tcpdump-eth0-n-v-icmp");
    expect(masked(engine.run({ host: "b", command: "tcpdump -i eth0 -n -v icmp" }).output)).toBe(masked(real.text));
    expect(ping.events.find((e) => e.kind === "ip-fragment" && e.host === "router")).toMatchObject({ outDevice: "eth1", mtu: 1500, length: 2028, fragments: 2 });
  });
});

describe("MTU on the link", () => {
  it("a veth end with a smaller MTU drops bigger frames and counts them as RX dropped", () => {
    const engine = labEngine("bridge-two-containers");
    engine.run({ host: "node1", namespace: "nginx-2", command: "ip link set eth0 mtu 1000" });
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 -s 1400 172.17.0.3" });
    expect(r.output).toContain("1 packets transmitted, 0 received, 100% packet loss");
    expect(r.events.find((e) => e.kind === "drop" && e.namespace === "nginx-2")).toMatchObject({ device: "eth0", reason: "mtu-exceeded" });
    expect(engine.run({ host: "node1", namespace: "nginx-2", command: "ip -s link show eth0" }).output).toMatch(/RX: {2}bytes packets errors dropped.*\n\s+\d+\s+\d+\s+0\s+1\s/);
    // The limit is the MTU plus the Ethernet header and room for a VLAN tag: a 1004-byte packet (1018-byte frame) still passes, 1005 does not.
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 -M dont -s 976 172.17.0.3" }).exitCode).toBe(0);
    expect(engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 -M dont -s 977 172.17.0.3" }).exitCode).toBe(1);
  });

  it("a bridge drops a frame longer than the egress port's MTU instead of fragmenting it", () => {
    const engine = labEngine("bridge-two-containers");
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    engine.run({ host: "node1", command: "ip link set vethb4963f3 mtu 1000" });
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 -s 1400 172.17.0.3" });
    expect(r.events.find((e) => e.kind === "drop" && e.device === "docker0")).toMatchObject({ reason: "mtu-exceeded" });
    expect(r.exitCode).toBe(1);
  });
});

describe("IPv4 reassembly", () => {
  const topology = loadLab("bridge-two-containers").topology as TopologySpec;

  function network() {
    const net = buildNetwork(topology, { seed: 1, startTime: 0, eventBudget: 100_000 });
    const host = net.hosts.get("node1")!;
    return { net, a: host.namespaces.get("nginx-1")!, b: host.namespaces.get("nginx-2")! };
  }

  /** The first `take` bytes of a 2008-byte echo request's payload, as a fragment at offset 0. */
  function firstFragment(net: ReturnType<typeof network>["net"], take: number, id: number): Ipv4Payload {
    const whole: Ipv4Payload = { kind: "ipv4", src: 0xac110002, dst: 0xac110003, ttl: 64, tos: 0, id, dontFragment: false, l4: { kind: "icmp-echo", type: "request", id: 7, seq: 1, data: new Uint8Array(2000) } };
    const bytes = net.ctx.encodePacket(whole).subarray(20);
    return { ...whole, l4: { kind: "fragment", protocol: 1, offset: 0, more: true, data: bytes.subarray(0, take) } };
  }

  it("drops an incomplete datagram after 30 s and, having its first fragment, sends time exceeded (code 1)", () => {
    const { net, a, b } = network();
    const eth0 = b.device("eth0")!;
    eth0.receive(net.ctx.buildFrame(a.device("eth0")!.mac, eth0.mac, firstFragment(net, 1480, 42), 1));
    net.scheduler.runUntil(29_000_000);
    expect(net.trace.take().some((e) => e.kind === "drop")).toBe(false);
    expect(b.fragments.size).toBe(1);
    net.scheduler.runUntil(31_000_000);
    const events = net.trace.take();
    expect(events.find((e) => e.kind === "drop" && e.namespace === "nginx-2")).toMatchObject({ reason: "reassembly-timeout", detail: "1 fragments, 1480 of ? bytes" });
    expect(events.find((e) => e.kind === "icmp-error")).toMatchObject({ type: 11, code: 1, to: "172.17.0.2", message: "Frag reassembly time exceeded" });
    expect(b.fragments.size).toBe(0);
  });

  it("fragments that disagree on the datagram's end make it corrupt: the whole queue is dropped, as ip_frag_queue does", () => {
    const { net, a, b } = network();
    const eth0 = b.device("eth0")!;
    const from = a.device("eth0")!.mac;
    const first = firstFragment(net, 1480, 11);
    const whole = net.ctx.encodePacket({ ...first, l4: { kind: "icmp-echo", type: "request", id: 7, seq: 1, data: new Uint8Array(2000) } }).subarray(20);
    const piece = (offset: number, more: boolean, data: Uint8Array): Ipv4Payload => ({ ...first, l4: { kind: "fragment", protocol: 1, offset, more, data } });
    eth0.receive(net.ctx.buildFrame(from, eth0.mac, piece(4000, true, new Uint8Array(16)), 1));
    eth0.receive(net.ctx.buildFrame(from, eth0.mac, first, 1));
    eth0.receive(net.ctx.buildFrame(from, eth0.mac, piece(1480, false, whole.subarray(1480)), 1));
    net.scheduler.runUntil(1_000);
    const events = net.trace.take();
    expect(events.some((e) => e.kind === "ip-reassemble")).toBe(false);
    expect(events.find((e) => e.kind === "drop")).toMatchObject({ reason: "bad-frame", detail: "a fragment holds bytes up to 4016, the datagram ends at byte 2008" });
    expect(b.fragments.size).toBe(0);
    // The same datagram sent properly afterwards is put together.
    eth0.receive(net.ctx.buildFrame(from, eth0.mac, first, 2));
    eth0.receive(net.ctx.buildFrame(from, eth0.mac, piece(1480, false, whole.subarray(1480)), 2));
    net.scheduler.runUntil(2_000);
    expect(net.trace.take().find((e) => e.kind === "ip-reassemble")).toMatchObject({ length: 2028, fragments: 2 });
    expect([b.fragments.size, b.fragmentBytes]).toEqual([0, 0]);
  });

  it("holds at most ipfrag_high_thresh (4 MB) of fragments per namespace, dropping new ones past it", () => {
    const { net, a, b } = network();
    const eth0 = b.device("eth0")!;
    const from = a.device("eth0")!.mac;
    // First fragments of datagrams whose rest never comes: 1480 bytes each.
    const fits = Math.floor((4 * 1024 * 1024) / 1480);
    for (let id = 1; id <= fits + 1; id++) eth0.receive(net.ctx.buildFrame(from, eth0.mac, firstFragment(net, 1480, id), id));
    net.scheduler.runUntil(1_000);
    expect(b.fragments.size).toBe(fits);
    expect(net.trace.take().filter((e) => e.kind === "drop")).toEqual([expect.objectContaining({ reason: "queue-full", detail: "ipfrag_high_thresh 4194304" })]);
    // Expiry frees the room.
    net.scheduler.runUntil(31_000_000);
    expect([b.fragments.size, b.fragmentBytes]).toEqual([0, 0]);
  });

  it("ignores a duplicate fragment and rejects one that would reach past 65535 bytes", () => {
    const { net, a, b } = network();
    const eth0 = b.device("eth0")!;
    const from = a.device("eth0")!.mac;
    const first = firstFragment(net, 1480, 9);
    eth0.receive(net.ctx.buildFrame(from, eth0.mac, first, 1));
    eth0.receive(net.ctx.buildFrame(from, eth0.mac, first, 1));
    const bogus: Ipv4Payload = { ...first, id: 10, l4: { kind: "fragment", protocol: 1, offset: 65000, more: false, data: new Uint8Array(600) } };
    eth0.receive(net.ctx.buildFrame(from, eth0.mac, bogus, 2));
    net.scheduler.runUntil(1_000);
    expect(b.fragments.get(`local|${0xac110002}|${0xac110003}|1|9`)?.pieces).toHaveLength(1);
    expect(net.trace.take().find((e) => e.kind === "drop")).toMatchObject({ reason: "bad-frame" });
  });
});
