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
