/**
 * A Kubernetes-style cluster for overlay tests and benchmarks: N nodes on the
 * 10.168.0.0/24 underlay, each with a cni0 bridge on its 10.244.N.0/24 pod
 * subnet and P pods (namespaces held by a pause container) attached to it.
 * Node n's first pod is c(2n-1), as the chapter numbers containers: c1 on node1, c3 on node2.
 */
import type { OverlaySpec, TopologySpec } from "../../../server/engine/topology/topology-schema.js";

export function overlayCluster(backend: OverlaySpec["backend"], nodes = 2, podsPerNode = 1): TopologySpec {
  const hex = (n: number) => n.toString(16).padStart(2, "0");
  const subnets: Record<string, string> = {};
  const hosts = Array.from({ length: nodes }, (_, i) => {
    const n = i + 1;
    subnets[`node${n}`] = `10.244.${n}.0/24`;
    const pods = Array.from({ length: podsPerNode }, (_, j) => ({ name: j === 0 ? `c${2 * n - 1}` : `pod-${n}-${j + 1}`, index: j }));
    return {
      name: `node${n}`,
      forwarding: true,
      nics: [{ name: "eth0", segment: "underlay", mac: `42:01:0a:a8:00:${hex(n + 1)}`, addresses: [`10.168.0.${n + 1}/24`] }],
      bridges: [{ name: "cni0", mac: `0a:58:0a:f4:${hex(n)}:01`, mtu: 1450, addresses: [`10.244.${n}.1/24`] }],
      containers: pods.map((p) => ({ name: p.name, image: "pause", network: "bridge" as const })),
      veths: pods.map((p) => ({
        name: `veth${n}x${p.index}`,
        mtu: 1450,
        master: "cni0",
        peer: { name: "eth0", namespace: p.name, mtu: 1450, mac: `0a:58:0a:f4:${hex(n)}:${hex(p.index + 2)}`, addresses: [`10.244.${n}.${p.index + 2}/24`] },
      })),
      routes: pods.map((p) => ({ namespace: p.name, to: "default" as const, via: `10.244.${n}.1`, dev: "eth0" })),
    };
  });
  return { segments: [{ name: "underlay" }], overlay: { backend, network: "10.244.0.0/16", subnets }, hosts };
}

/**
 * A Calico cluster: pods get a /32 on eth0, a link route to 169.254.1.1 and a
 * default route through it; their host ends are cali* veths with Calico's
 * ee:ee:ee:ee:ee:ee MAC. Nodes get a /26 block each and a default route via
 * their LAN's gateway (proxy ARP answers only for routable targets). With
 * `racks`, node2 sits on another subnet behind a router, as IPIP mode needs.
 */
export function calicoCluster(mode: "bgp" | "ipip", racks = false): TopologySpec {
  const nodes = [1, 2];
  const subnets: Record<string, string> = {};
  const lan = (n: number) => (racks && n === 2 ? { seg: "rack2", ip: "10.168.1.3/24", gw: "10.168.1.1" } : { seg: "underlay", ip: `10.168.0.${n + 1}/24`, gw: "10.168.0.1" });
  const hosts: TopologySpec["hosts"] = nodes.map((n) => {
    subnets[`node${n}`] = `10.244.${n}.0/26`;
    const pod = `c${2 * n - 1}`;
    return {
      name: `node${n}`,
      forwarding: true,
      nics: [{ name: "eth0", segment: lan(n).seg, mac: `42:01:0a:a8:0${n}:0${n + 1}`, addresses: [lan(n).ip] }],
      containers: [{ name: pod, image: "pause", network: "bridge" as const }],
      veths: [{ name: `cali${n}a2b3c4d5e`, mac: "ee:ee:ee:ee:ee:ee", peer: { name: "eth0", namespace: pod, mac: `0a:58:0a:f4:0${n}:02`, addresses: [`10.244.${n}.2/32`] } }],
      routes: [
        { namespace: pod, to: "169.254.1.1/32", dev: "eth0" },
        { namespace: pod, to: "default" as const, via: "169.254.1.1", dev: "eth0" },
        { to: "default" as const, via: lan(n).gw },
      ],
    };
  });
  const segments = [{ name: "underlay" }];
  if (racks) {
    segments.push({ name: "rack2" });
    hosts.push({
      name: "router",
      forwarding: true,
      nics: [
        { name: "eth0", segment: "underlay", addresses: ["10.168.0.1/24"] },
        { name: "eth1", segment: "rack2", addresses: ["10.168.1.1/24"] },
      ],
    });
  } else {
    hosts.push({ name: "gateway", forwarding: true, nics: [{ name: "eth0", segment: "underlay", addresses: ["10.168.0.1/24"] }] });
  }
  return { segments, overlay: { backend: "calico", mode, network: "10.244.0.0/16", subnets }, hosts };
}
