/**
 * Brings up a lab's cluster on its built network: each pod's address read
 * from the eth0 of its namespace (as the CNI plugin left it), its process
 * listening (serve_hostname answers with the pod's name), then every node's
 * kube-proxy syncs once. Nodes have net.bridge.bridge-nf-call-iptables on.
 * The spec has passed validateKubernetes.
 */
import type { NetNamespace } from "../stack/namespace.js";
import type { Network } from "../topology/network.js";
import { parseIpv4OrThrow } from "../wire/ipv4-address.js";
import { Cluster, key, type Pod } from "./cluster.js";
import type { KubernetesSpec } from "./kube-schema.js";
import { syncProxies } from "./proxier.js";

const encoder = new TextEncoder();
/** How long before the lab starts its objects were made: a cluster that has been up a while. */
const AGE = 10 * 60 * 1_000_000;

/** serve_hostname's answer: its hostname, which is the pod's name, as the whole body. */
function hostnameReply(pod: string): Uint8Array {
  const head = `HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: ${pod.length}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  return encoder.encode(head + pod);
}

export function podProcess(pod: Pod): string {
  return `serve_hostname/${pod.name}`;
}

/** The pod's process opens its ports in the pod's namespace. */
export function startPod(ns: NetNamespace, pod: Pod, ports: number[]): void {
  for (const port of ports) ns.sockets.listenTcp({ address: 0, port, process: podProcess(pod), serve: () => hostnameReply(pod.name) });
}

export function buildCluster(net: Network, spec: KubernetesSpec): Cluster {
  const created = net.scheduler.now - AGE;
  // A node's setup that kube-proxy needs (kubeadm refuses to join without it): frames bridged
  // between two pods of one node pass conntrack, so a reply from a pod on the client's own
  // bridge is translated back to the Service's address.
  for (const n of spec.nodes) net.hosts.get(n)!.root.bridgeNfCallIptables = true;
  const cluster = new Cluster(spec.nodes, spec.clusterCidr, Cluster.specOf(spec).serviceCidr, created);
  for (const p of spec.pods ?? []) {
    const ns = net.hosts.get(p.node)!.namespaces.get(p.netns ?? p.name)!;
    const pod: Pod = {
      name: p.name,
      namespace: p.namespace ?? "default",
      node: p.node,
      netns: p.netns ?? p.name,
      labels: { ...(p.labels ?? {}) },
      ready: p.ready ?? true,
      ip: ns.device("eth0")!.addresses[0]!.address,
      created,
    };
    cluster.pods.set(key(pod.namespace, pod.name), pod);
    startPod(ns, pod, (p.serve ?? []).map((s) => s.port));
  }
  for (const s of spec.services ?? []) {
    cluster.services.set(key(s.namespace ?? "default", s.name), {
      name: s.name,
      namespace: s.namespace ?? "default",
      type: s.type ?? "ClusterIP",
      clusterIP: parseIpv4OrThrow(s.clusterIP),
      selector: { ...s.selector },
      ports: s.ports.map((p) => ({ name: p.name ?? null, protocol: p.protocol ?? "TCP", port: p.port, targetPort: p.targetPort ?? p.port, nodePort: p.nodePort ?? null })),
      externalTrafficPolicy: s.externalTrafficPolicy ?? "Cluster",
      sessionAffinity: s.sessionAffinity ?? "None",
      affinityTimeout: s.sessionAffinityTimeout ?? 10800,
      created,
    });
  }
  syncProxies(net, cluster);
  return cluster;
}
