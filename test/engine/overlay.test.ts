/**
 * Across hosts through the overlay (the chapter's closing section): c1 on
 * node1 pings c3 on node2 with flannel's VXLAN backend and with host-gw, and
 * host-gw fails when the hosts are not on one L2 network.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Engine } from "../../server/engine/engine.js";
import type { TopologySpec } from "../../server/engine/topology/topology-schema.js";
import type { TraceEvent } from "../../server/engine/trace/trace-event.js";
import type { Ipv4Layer } from "../../server/engine/wire/packet.js";
import { engineFor } from "./helpers/lab-engine.js";
import { calicoCluster, overlayCluster } from "./helpers/overlay-cluster.js";

const fixture = (name: string) => readFileSync(`test/fixtures/linux/${name}.txt`, "utf8");
const MAC = /([0-9a-f]{2}:){5}[0-9a-f]{2}/g;
const where = (e: TraceEvent) => `${e.host}/${e.namespace}/${e.device ?? "-"}`;

describe("flannel VXLAN: c1 on node1 pings c3 on node2", () => {
  const engine = engineFor(overlayCluster("flannel-vxlan"));
  const r = engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });

  it("gets a reply that crossed two routers (ttl 62)", () => {
    expect(r.exitCode).toBe(0);
    expect(r.output).toContain("64 bytes from 10.244.2.2: icmp_seq=1 ttl=62");
  });

  it("node1 routes the pod subnet onlink via flannel.1, with a permanent neighbour instead of ARP", () => {
    const lookup = r.events.find((e) => e.kind === "route-lookup" && e.host === "node1" && e.namespace === "root" && e.destination === "10.244.2.2");
    expect(lookup).toMatchObject({ route: "10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink", outDevice: "flannel.1" });
    expect(r.events.some((e) => e.kind === "arp-request" && e.device === "flannel.1")).toBe(false);
  });

  it("encapsulates on node1 and decapsulates on node2, then back for the reply", () => {
    const tunnel = r.events.filter((e) => e.kind === "encap" || e.kind === "decap").map((e) => `${e.kind}@${e.host}`);
    expect(tunnel).toEqual(["encap@node1", "decap@node2", "encap@node2", "decap@node1"]);
    const encap = r.events.find((e) => e.kind === "encap")!;
    expect(encap).toMatchObject({ tunnel: "vxlan", vni: 1 });
    expect(encap.kind === "encap" && encap.outer).toMatch(/^10\.168\.0\.2:\d+ > 10\.168\.0\.3:8472$/);
    // On the underlay the frame shows the outer headers around the inner frame.
    const wire = r.events.find((e) => e.kind === "frame-tx" && e.host === "node1" && e.namespace === "root" && e.device === "eth0" && e.packetId === encap.packetId)!;
    expect(wire.layers!.map((l) => l.kind)).toEqual(["ethernet", "ipv4", "udp", "vxlan", "ethernet", "ipv4", "icmp"]);
    expect(wire.summary).toContain("VXLAN");
    // The packet keeps its id across the tunnel, so a UI can follow it end to end.
    expect(r.events.filter((e) => e.packetId === encap.packetId).map(where)).toContain("node2/c3/eth0");
  });

  it("ip, bridge and neigh show the VTEP as Linux does", () => {
    const d = engine.run({ host: "node1", command: "ip -d link show flannel.1" }).output.split("\n");
    const want = fixture("vxlan-ip-d-link-show-flannel1").split("\n");
    expect(d[0]!.replace(/^\d+:/, "N:")).toBe(want[0]!.replace(/^\d+:/, "N:"));
    expect(d[2]).toBe(want[2]);
    expect(engine.run({ host: "node1", command: "bridge fdb show dev flannel.1" }).output.replace(MAC, "MAC")).toBe(fixture("vxlan-bridge-fdb-show-dev-flannel1").replace(MAC, "MAC"));
    expect(engine.run({ host: "node1", command: "ip neigh show dev flannel.1" }).output.replace(MAC, "MAC")).toBe(fixture("vxlan-ip-neigh-show-dev-flannel1").replace(MAC, "MAC"));
    expect(engine.run({ host: "node1", command: "ip route get 10.244.2.5" }).output).toBe(fixture("vxlan-ip-route-get"));
    expect(engine.run({ host: "node1", command: "ip route" }).output).toContain("10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink \n");
  });

  it("a full-size packet from a pod with MTU 1500 does not fit flannel.1's 1450: ICMP frag needed comes back", () => {
    const spec = overlayCluster("flannel-vxlan");
    for (const h of spec.hosts) {
      for (const v of h.veths ?? []) {
        delete v.mtu;
        delete v.peer.mtu;
      }
      for (const b of h.bridges ?? []) delete b.mtu;
    }
    const e = engineFor(spec);
    const big = e.run({ host: "node1", namespace: "c1", command: "ping -c 1 -s 1472 10.244.2.2" });
    expect(big.exitCode).toBe(1);
    expect(big.output).toContain("From 10.244.1.1 icmp_seq=1 Frag needed and DF set (mtu = 1450)");
    expect(big.events.some((x) => x.kind === "drop" && x.reason === "mtu-exceeded" && x.device === "flannel.1")).toBe(true);
    expect(e.run({ host: "node1", namespace: "c1", command: "ping -c 1 -s 1422 10.244.2.2" }).exitCode).toBe(0);
  });
});

describe("host-gw", () => {
  it("routes each pod subnet via the peer host's underlay address, without encapsulation", () => {
    const engine = engineFor(overlayCluster("host-gw"));
    expect(engine.run({ host: "node1", command: "ip route" }).output).toContain("10.244.2.0/24 via 10.168.0.3 dev eth0 \n");
    const r = engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });
    expect(r.exitCode).toBe(0);
    expect(r.events.some((e) => e.kind === "encap")).toBe(false);
    const onWire = r.events.find((e) => e.kind === "frame-tx" && e.host === "node1" && e.namespace === "root" && e.device === "eth0" && e.layers?.[1]?.kind === "ipv4")!;
    expect(onWire.layers!.map((l) => l.kind)).toEqual(["ethernet", "ipv4", "icmp"]);
  });

  it("fails when the hosts sit on two L2 segments joined by a router", () => {
    const spec: TopologySpec = overlayCluster("host-gw");
    spec.segments = [{ name: "underlay" }, { name: "rack2" }];
    const node2 = spec.hosts[1]!;
    node2.nics = [{ name: "eth0", segment: "rack2", mac: "42:01:0a:a8:01:03", addresses: ["10.168.1.3/24"] }];
    node2.routes = [...(node2.routes ?? []), { to: "default", via: "10.168.1.1" }];
    spec.hosts[0]!.routes = [...(spec.hosts[0]!.routes ?? []), { to: "default", via: "10.168.0.1" }];
    spec.hosts.push({
      name: "router",
      forwarding: true,
      nics: [
        { name: "eth0", segment: "underlay", addresses: ["10.168.0.1/24"] },
        { name: "eth1", segment: "rack2", addresses: ["10.168.1.1/24"] },
      ],
    });
    const engine = engineFor(spec);
    expect(engine.run({ host: "node1", command: "ip route" }).output).not.toContain("10.244.2.0/24");
    const r = engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 -W 1 10.244.2.2" });
    expect(r.exitCode).toBe(1);
    expect(r.output).toContain("1 packets transmitted, 0 received, 100% packet loss");
    // node1 has no route for the pod subnet, so the packet follows its default route to the
    // router, which knows no pod subnet either: it drops the packet, and cannot even route its
    // ICMP error back to 10.244.1.2.
    const atRouter = r.events.filter((e) => e.host === "router" && (e.kind === "drop" || e.kind === "icmp-error"));
    expect(atRouter.map((e) => e.kind)).toEqual(["drop", "icmp-error"]);
    expect(atRouter[0]).toMatchObject({ reason: "no-route" });
    const back = r.events.filter((e) => e.host === "router" && e.kind === "route-lookup").at(-1);
    expect(back).toMatchObject({ destination: "10.244.1.2", route: null });
  });
});

describe("overlay validation", () => {
  it("names the field: an overlapping lease and a host that does not exist", () => {
    const spec = overlayCluster("flannel-vxlan");
    spec.overlay!.subnets = { node1: "10.244.1.0/24", node2: "10.244.1.128/25", node9: "10.244.9.0/24" };
    const result = Engine.create(spec);
    expect(result instanceof Engine).toBe(false);
    if (!(result instanceof Engine)) {
      expect(result.issues).toEqual([
        { path: "/overlay/subnets/node2", message: "10.244.1.128/25 overlaps node1's subnet" },
        { path: "/overlay/subnets/node9", message: 'host "node9" is not in /hosts' },
      ]);
    }
  });
});

describe("flannel UDP: flanneld carries packets through user space", () => {
  it("every packet crosses into flanneld and back: read, lookup, encap, then decap and write on the peer", () => {
    const engine = engineFor(overlayCluster("flannel-udp"));
    // flanneld's configureIface: a /32 address (no subnet, no broadcast route) and its own route for the pod network,
    // a route without a gateway, so the kernel gives it scope link.
    expect(engine.run({ host: "node1", command: "ip route" }).output).toContain("10.244.0.0/16 dev flannel0 scope link \n");
    expect(engine.run({ host: "node1", command: "ip addr show dev flannel0" }).output).toContain("    inet 10.244.1.0/32 scope global flannel0\n");
    const r = engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });
    expect(r.exitCode).toBe(0);
    // Two kernels forward it and flanneld's proxy decrements it twice (tun_to_udp, udp_to_tun): 64 - 4.
    expect(r.output).toContain("ttl=60");
    const steps = r.events.filter((e) => e.kind === "tunnel-user" || e.kind === "encap" || e.kind === "decap").map((e) => `${e.host}:${e.kind === "tunnel-user" ? e.action : e.kind}`);
    expect(steps).toEqual(["node1:read", "node1:lookup", "node1:encap", "node2:decap", "node2:write", "node2:read", "node2:lookup", "node2:encap", "node1:decap", "node1:write"]);
    const wire = r.events.find((e) => e.kind === "frame-tx" && e.host === "node1" && e.namespace === "root" && e.device === "eth0" && e.layers?.[2]?.kind === "udp")!;
    expect(wire.summary).toContain("10.168.0.2.8285 > 10.168.0.3.8285: UDP");
    // An ordinary UDP socket's datagram: DF set (test/fixtures/linux/capture-udp-nginx-2-eth0.pcap shows one).
    expect(wire.layers?.[1]).toMatchObject({ kind: "ipv4", dontFragment: true, ttl: 64, dscp: 0 });
    expect(r.events.find((e) => e.kind === "encap" && e.host === "node1")!.summary).toContain("ttl 63 → 62");
    expect(engine.run({ host: "node1", command: "ip link show flannel0" }).output).toMatch(/flannel0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu 1472 .*state UNKNOWN/);
  });
});

describe("Calico", () => {
  it("BGP mode: proxy ARP answers for 169.254.1.1, /32 routes to cali devices, peers' blocks via proto bird", () => {
    const engine = engineFor(calicoCluster("bgp"));
    const routes = engine.run({ host: "node1", command: "ip route" }).output;
    expect(routes).toContain("blackhole 10.244.1.0/26 proto bird \n");
    expect(routes).toContain("10.244.1.2 dev cali1a2b3c4d5e scope link \n");
    expect(routes).toContain("10.244.2.0/26 via 10.168.0.3 dev eth0 proto bird \n");
    const r = engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });
    expect(r.exitCode).toBe(0);
    expect(r.events.find((e) => e.kind === "arp-reply" && e.host === "node1")).toMatchObject({ namespace: "root", device: "cali1a2b3c4d5e", senderIp: "169.254.1.1", senderMac: "ee:ee:ee:ee:ee:ee", proxy: true });
    expect(r.events.some((e) => e.kind === "encap")).toBe(false);
    // The BGP session between the nodes is a real TCP connection on port 179.
    expect(engine.run({ host: "node1", command: "ss -tn" }).output).toMatch(/ESTAB .* 10\.168\.0\.2:\d+ +10\.168\.0\.3:179/);
    expect(engine.run({ host: "node2", command: "calicoctl node status" }).output).toContain("| 10.168.0.2   | node-to-node mesh | up    | 00:00:00 | Established |");
  });

  it("IPIP mode across a router: tunl0 wraps pod packets in IPv4 to the peer node", () => {
    const engine = engineFor(calicoCluster("ipip", true));
    expect(engine.run({ host: "node1", command: "ip route" }).output).toContain("10.244.2.0/26 via 10.168.1.3 dev tunl0 proto bird onlink \n");
    const r = engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });
    expect(r.exitCode).toBe(0);
    const encap = r.events.find((e) => e.kind === "encap" && e.host === "node1")!;
    expect(encap).toMatchObject({ tunnel: "ipip", outer: "10.168.0.2 > 10.168.1.3", device: "tunl0" });
    const atRouter = r.events.find((e) => e.kind === "ip-forward" && e.host === "router")!;
    expect(atRouter.layers!.map((l) => l.kind)).toEqual(["ethernet", "ipv4", "ipv4", "icmp"]);
  });

  it("IPIP mode: the outer header takes the inner TTL and DF, as the fallback tunl0 (ttl inherit, nopmtudisc) has ip_tunnel_xmit do", () => {
    const engine = engineFor(calicoCluster("ipip", true));
    const r = engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 10.244.2.2" });
    const outer = (host: string, kind: "frame-tx" | "frame-rx") => {
      const e = r.events.find((x) => x.kind === kind && x.host === host && x.namespace === "root" && x.device === "eth0" && x.layers?.[1]?.kind === "ipv4" && x.layers[2]?.kind === "ipv4")!;
      const [o, i] = [e.layers![1], e.layers![2]] as Ipv4Layer[];
      return { outerTtl: o!.ttl, outerDf: o!.dontFragment, outerTos: (o!.dscp << 2) | o!.ecn, idSet: o!.identification !== 0, innerTtl: i!.ttl, innerDf: i!.dontFragment };
    };
    // c1's request left with ttl 64 and DF; node1's forward into tunl0 lowered it to 63, and the outer header copies both.
    expect(outer("node1", "frame-tx")).toEqual({ outerTtl: 63, outerDf: true, outerTos: 0, idSet: true, innerTtl: 63, innerDf: true });
    // The router lowers only the outer TTL.
    expect(outer("node2", "frame-rx")).toMatchObject({ outerTtl: 62, innerTtl: 63 });
    // c3's echo reply has no DF (the kernel's ICMP socket does not set it), so neither has its outer header.
    expect(outer("node2", "frame-tx")).toEqual({ outerTtl: 63, outerDf: false, outerTos: 0, idSet: true, innerTtl: 63, innerDf: false });
  });

  it("plain BGP mode across a router fails: the peer's next hop is not on-link, so no route is installed", () => {
    const engine = engineFor(calicoCluster("bgp", true));
    expect(engine.run({ host: "node1", command: "ip route" }).output).not.toContain("10.244.2.0/26");
    expect(engine.run({ host: "node1", namespace: "c1", command: "ping -c 1 -W 1 10.244.2.2" }).exitCode).toBe(1);
  });
});
