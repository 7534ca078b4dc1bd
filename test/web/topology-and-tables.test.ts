import { describe, expect, it } from "vitest";
import type { NetworkState, StateInterface, StateNamespace } from "../../web/src/api/types.js";
import { deviceFrames, tcpdumpLine } from "../../web/src/captures/tcpdump-line.js";
import { changedKeys, kernelTables } from "../../web/src/tables/kernel-tables.js";
import { buildGraph, lightsFor } from "../../web/src/topology/topology-graph.js";
import { layoutGraph } from "../../web/src/topology/topology-layout.js";
import type { TraceEvent } from "../../web/src/trace/trace-event.js";

const dev = (name: string, kind: string, extra: Partial<StateInterface> = {}): StateInterface => ({
  ifindex: 1, name, kind, mac: "02:42:ac:11:00:02", mtu: 1500, up: true, lowerUp: true, master: null, peer: null, addresses: [],
  stats: { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0 }, ...extra,
});
const ns = (name: string, interfaces: StateInterface[], more: Partial<StateNamespace> = {}): StateNamespace => ({
  name, forwarding: false, interfaces, routes: [], neighbours: [], bridges: [], sockets: [], conntrack: [], iptables: [], ...more,
});

// bridge-two-containers as GET /state describes it.
const state: NetworkState = {
  time: 0,
  kubernetes: null,
  hosts: [{
    name: "node1",
    containers: [
      { id: "2b3c", name: "nginx-1", namespace: "nginx-1", running: true, address: "172.17.0.2", image: "nginx", network: "bridge" },
      { id: "2885", name: "nginx-2", namespace: "nginx-2", running: true, address: "172.17.0.3", image: "nginx", network: "bridge" },
    ],
    namespaces: [
      ns("root", [
        dev("lo", "loopback"), dev("eth0", "nic", { addresses: ["10.168.0.2/24"] }), dev("docker0", "bridge", { addresses: ["172.17.0.1/16"] }),
        dev("veth9c02e56", "veth", { master: "docker0", peer: { namespace: "nginx-1", name: "eth0" } }),
        dev("vethb4963f3", "veth", { master: "docker0", peer: { namespace: "nginx-2", name: "eth0" } }),
      ]),
      ns("nginx-1", [dev("lo", "loopback"), dev("eth0", "veth", { addresses: ["172.17.0.2/16"], peer: { namespace: "root", name: "veth9c02e56" } })]),
      ns("nginx-2", [dev("lo", "loopback"), dev("eth0", "veth", { addresses: ["172.17.0.3/16"], peer: { namespace: "root", name: "vethb4963f3" } })]),
    ],
  }],
};
const topology = { hosts: [{ name: "node1", nics: [{ name: "eth0", segment: "underlay" }] }] };

// Fixtures carry only the fields the code under test reads: the server's event type wants them all.
const loose = (fields: object): TraceEvent => fields as unknown as TraceEvent;
const event = (kind: string, device: string, fields: Record<string, unknown> = {}): TraceEvent =>
  loose({ seq: 6, time: 20, kind, host: "node1", namespace: "root", device, packetId: 2, summary: "", layers: null, ...fields });

describe("the diagram's graph", () => {
  const graph = buildGraph(state, topology);

  it("nests devices in namespaces in hosts, and joins veth peers, bridge ports and the NIC's segment", () => {
    expect(graph.nodes.find((n) => n.id === "d:node1/nginx-1/eth0")).toMatchObject({ parent: "n:node1/nginx-1", kind: "device", type: "veth" });
    expect(graph.nodes.find((n) => n.id === "n:node1/nginx-1")).toMatchObject({ parent: "h:node1", type: "container" });
    const kinds = graph.edges.map((e) => `${e.kind} ${e.source} ${e.target}`);
    expect(kinds).toContain("port d:node1/root/veth9c02e56 d:node1/root/docker0");
    expect(kinds).toContain("segment d:node1/root/eth0 s:underlay");
    // One edge per veth pair, however many ends name their peer.
    expect(graph.edges.filter((e) => e.kind === "veth")).toHaveLength(2);
    expect(graph.nodes.find((n) => n.id === "d:node1/root/docker0")!.tooltip).toContain("172.17.0.1/16");
  });

  it("lights docker0, the port it floods to and both port links for the ARP flood", () => {
    const lit = lightsFor(event("bridge-flood", "docker0", { ingress: "veth9c02e56", egress: ["vethb4963f3"] }), graph);
    expect(lit.nodes.sort()).toEqual(["d:node1/root/docker0", "d:node1/root/vethb4963f3"]);
    expect(lit.edges.sort()).toEqual(["port:d:node1/root/veth9c02e56", "port:d:node1/root/vethb4963f3"]);
  });

  it("lights the veth cable a frame is sent on", () => {
    const lit = lightsFor({ ...event("frame-tx", "eth0"), namespace: "nginx-1" }, graph);
    expect(lit.nodes).toEqual(["d:node1/nginx-1/eth0"]);
    expect(lit.edges).toEqual(["veth:d:node1/nginx-1/eth0|d:node1/root/veth9c02e56"]);
  });

  it("puts each host-side veth end under its container's end, and the bridge between its ports", () => {
    const pos = layoutGraph(graph);
    expect(pos.get("d:node1/root/veth9c02e56")!.x).toBe(pos.get("d:node1/nginx-1/eth0")!.x);
    const docker0 = pos.get("d:node1/root/docker0")!.x;
    expect(docker0).toBeGreaterThan(pos.get("d:node1/root/veth9c02e56")!.x);
    expect(docker0).toBeLessThan(pos.get("d:node1/root/vethb4963f3")!.x);
    const xs = [...pos.values()].filter((p) => p.y === pos.get("d:node1/root/docker0")!.y).map((p) => p.x);
    expect(new Set(xs).size).toBe(xs.length);
  });
});

describe("the kernel tables", () => {
  it("marks the rows a command added or changed, not the ages that tick", () => {
    const before = ns("root", [], { neighbours: [{ ip: "172.17.0.3", dev: "eth0", mac: "02:42:ac:11:00:03", state: "REACHABLE" }], bridges: [{ name: "docker0", fdb: [{ mac: "02:42:ac:11:00:02", port: "veth9c02e56", local: false, ageSeconds: 1 }] }] });
    const after = ns("root", [], {
      neighbours: [{ ip: "172.17.0.3", dev: "eth0", mac: "02:42:ac:11:00:03", state: "STALE" }],
      bridges: [{ name: "docker0", fdb: [{ mac: "02:42:ac:11:00:02", port: "veth9c02e56", local: false, ageSeconds: 40 }, { mac: "02:42:ac:11:00:03", port: "vethb4963f3", local: false, ageSeconds: 0 }] }],
    });
    const table = (s: StateNamespace, id: string) => kernelTables(s).find((t) => t.id === id)!.rows;
    expect([...changedKeys(table(before, "neighbours"), table(after, "neighbours"))]).toEqual(["172.17.0.3 eth0"]);
    expect([...changedKeys(table(before, "fdb-docker0"), table(after, "fdb-docker0"), [3])]).toEqual(["02:42:ac:11:00:03 vethb4963f3"]);
    expect(changedKeys(undefined, table(after, "neighbours")).size).toBe(0);
  });

  // node1's root namespace in container-to-other-host, before and after nginx-1 pings node2 (GET /state).
  const filterChains = (["INPUT", "FORWARD", "OUTPUT"] as const).map((chain) => ({ table: "filter" as const, chain, policy: { target: "ACCEPT" as const, packets: 0, bytes: 0 }, rules: [] }));
  const natRules = (packets: number, bytes: number): StateNamespace["iptables"] => [
    ...filterChains,
    { table: "nat", chain: "POSTROUTING", policy: { target: "ACCEPT", packets: 3, bytes: 252 }, rules: [{ spec: "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE", packets, bytes }] },
    { table: "nat", chain: "DOCKER", policy: null, rules: [{ spec: "-A DOCKER -i docker0 -j RETURN", packets: 0, bytes: 0 }] },
  ];
  const ping = {
    protocol: "icmp", orig: { src: "172.17.0.2", dst: "10.168.0.3", sport: 7, dport: 7 }, reply: { src: "10.168.0.3", dst: "10.168.0.2", sport: 7, dport: 7 },
    state: null, seenReply: true, assured: false, secondsLeft: 29, text: "icmp     1 29 src=172.17.0.2 dst=10.168.0.3 type=8 code=0 id=7 src=10.168.0.3 dst=10.168.0.2 type=0 code=0 id=7 mark=0 use=1",
  };

  it("lists conntrack's flows with both tuples, and lights a new flow but not its ticking timeout", () => {
    const before = ns("root", [], { iptables: natRules(0, 0) });
    const after = ns("root", [], { iptables: natRules(1, 84), conntrack: [ping] });
    const later = ns("root", [], { iptables: natRules(1, 84), conntrack: [{ ...ping, secondsLeft: 12 }] });
    const conntrack = (s: StateNamespace) => kernelTables(s).find((t) => t.id === "conntrack")!;
    expect(conntrack(after).rows).toEqual([{ key: "icmp 172.17.0.2:7 → 10.168.0.3:7", cells: ["icmp", "172.17.0.2:7 → 10.168.0.3:7", "10.168.0.3:7 → 10.168.0.2:7", "", "29 s"] }]);
    expect([...changedKeys(conntrack(before).rows, conntrack(after).rows, conntrack(after).volatile)]).toEqual(["icmp 172.17.0.2:7 → 10.168.0.3:7"]);
    expect(changedKeys(conntrack(after).rows, conntrack(later).rows, conntrack(later).volatile).size).toBe(0);
    expect(conntrack(ns("root", [], { conntrack: [{ ...ping, seenReply: false }] })).rows[0]!.cells[3]).toBe("UNREPLIED");
  });

  it("lists iptables rules with their counters, lights the rule the ping matched, and shows a chain's policy only after rules or when it drops", () => {
    const before = ns("root", [], { iptables: natRules(0, 0) });
    const after = ns("root", [], { iptables: natRules(1, 84), conntrack: [ping] });
    const iptables = (s: StateNamespace) => kernelTables(s).find((t) => t.id === "iptables")!;
    expect(iptables(after).rows.map((r) => r.cells)).toEqual([
      ["nat", "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE", "1", "84"],
      ["nat", "-P POSTROUTING ACCEPT", "3", "252"],
      ["nat", "-A DOCKER -i docker0 -j RETURN", "0", "0"],
    ]);
    expect([...changedKeys(iptables(before).rows, iptables(after).rows, iptables(after).volatile)]).toEqual(["nat POSTROUTING 0 -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE"]);
    const dropping = ns("root", [], { iptables: [{ table: "filter", chain: "FORWARD", policy: { target: "DROP", packets: 2, bytes: 168 }, rules: [] }] });
    expect(iptables(dropping).rows.map((r) => r.cells)).toEqual([["filter", "-P FORWARD DROP", "2", "168"]]);
    expect(iptables(ns("root", [], { iptables: filterChains })).rows).toEqual([]);
  });
});

describe("captured frames as tcpdump -n -e prints them", () => {
  it("puts the link layer first and drops the summary's protocol word", () => {
    const arp = {
      ...event("frame-rx", "docker0"), time: 20, length: 42,
      summary: "docker0 receives ARP, Request who-has 172.17.0.3 tell 172.17.0.2, length 28",
      layers: [{ kind: "ethernet", src: "02:42:ac:11:00:02", dst: "ff:ff:ff:ff:ff:ff", etherType: 2054, length: 42 }],
    };
    expect(tcpdumpLine(loose(arp))).toBe("00:00:00.000020 02:42:ac:11:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 172.17.0.3 tell 172.17.0.2, length 28");
    const ip = { ...arp, time: 3_600_000_123, summary: "eth0 sends IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64", length: 98, layers: [{ kind: "ethernet", src: "a", dst: "b", etherType: 2048, length: 98 }] };
    expect(tcpdumpLine(loose(ip))).toBe("01:00:00.000123 a > b, ethertype IPv4 (0x0800), length 98: 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64");
    expect(tcpdumpLine(loose({ ...ip, layers: [{ kind: "ipv4" }] }))).toBe("01:00:00.000123 IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64");
  });

  it("lists on a bridge every frame it bridges once, as tcpdump in promiscuous mode records them", () => {
    const eth = [{ kind: "ethernet", src: "02:42:ac:11:00:02", dst: "ff:ff:ff:ff:ff:ff", etherType: 2054, length: 42 }];
    const rx = loose({ ...event("frame-rx", "veth9c02e56"), time: 20, length: 42, packetId: 2, layers: eth, summary: "veth9c02e56 receives ARP, Request who-has 172.17.0.3 tell 172.17.0.2, length 28" });
    const trace: TraceEvent[] = [
      rx,
      { ...event("bridge-flood", "docker0"), time: 20, packetId: 2 },
      { ...event("bridge-local", "docker0"), time: 20, packetId: 2 },
      { ...rx, device: "docker0", summary: "docker0 receives ARP, Request who-has 172.17.0.3 tell 172.17.0.2, length 28" },
      { ...rx, seq: 20, time: 60, packetId: 3, device: "vethb4963f3", summary: "vethb4963f3 receives ARP, Reply 172.17.0.3 is-at 02:42:ac:11:00:03, length 28" },
      { ...event("bridge-forward", "docker0"), time: 60, packetId: 3 },
    ];
    expect(deviceFrames(trace, "node1", "root", "docker0", true)).toEqual([
      "00:00:00.000020 02:42:ac:11:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has 172.17.0.3 tell 172.17.0.2, length 28",
      "00:00:00.000060 02:42:ac:11:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Reply 172.17.0.3 is-at 02:42:ac:11:00:03, length 28",
    ]);
    // Not a bridge: only what the device itself sent and received.
    expect(deviceFrames(trace, "node1", "root", "docker0", false)).toHaveLength(1);
  });
});
