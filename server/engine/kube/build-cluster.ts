/**
 * Brings up a lab's cluster on its built network: each pod's address read
 * from the eth0 of its namespace (as the CNI plugin left it), its process
 * listening (serve_hostname answers with the pod's name), then every node's
 * kube-proxy syncs once. Nodes have net.bridge.bridge-nf-call-iptables on.
 * With a CNI chain (kubernetes.cni), a pod whose namespace the topology does
 * not declare, and every Deployment's pod, is attached by it over the node's
 * flannel lease. The spec has passed validateKubernetes.
 */
import type { Network } from "../topology/network.js";
import type { OverlaySpec } from "../topology/topology-schema.js";
import { parseIpv4CidrOrThrow, parseIpv4OrThrow } from "../wire/ipv4-address.js";
import { gatewayOf, type CniNode } from "./cni-config.js";
import { Cluster, key, type Pod } from "./cluster.js";
import { randomString, reconcile } from "./deployment.js";
import { HostLocal } from "./host-local.js";
import type { KubernetesSpec } from "./kube-schema.js";
import { createPod, startPod, startReadiness } from "./pod-lifecycle.js";
import { probeFromSpec } from "./readiness-probe.js";
import { syncProxies } from "./proxier.js";
import { startDnsServer } from "./dns-server.js";
import { policyFromSpec } from "./network-policy.js";

/** How long before the lab starts its objects were made: a cluster that has been up a while. */
const AGE = 10 * 60 * 1_000_000;

/** FLANNEL_MTU: what the backend's encapsulation leaves of the underlay's MTU. */
const OVERHEAD: Record<OverlaySpec["backend"], number> = { "flannel-vxlan": 50, "flannel-udp": 28, "host-gw": 0, calico: 0 };

function cniNodes(net: Network, cluster: Cluster, spec: KubernetesSpec, overlay: OverlaySpec): void {
  const network = parseIpv4CidrOrThrow(overlay.network);
  for (const n of spec.nodes) {
    const underlay = net.hosts.get(n)!.root.device(overlay.interface ?? "eth0");
    const node: CniNode = { subnet: parseIpv4CidrOrThrow(overlay.subnets[n]!), network, mtu: (underlay?.mtu ?? 1500) - OVERHEAD[overlay.backend], hairpinMode: spec.cni?.hairpinMode ?? true };
    cluster.cni.set(n, { node, ipam: new HostLocal(node.subnet, gatewayOf(node)) });
  }
}

export function buildCluster(net: Network, spec: KubernetesSpec, overlay?: OverlaySpec): Cluster {
  const created = net.scheduler.now - AGE;
  // A node's setup that kube-proxy needs (kubeadm refuses to join without it): frames bridged
  // between two pods of one node pass conntrack, so a reply from a pod on the client's own
  // bridge is translated back to the Service's address.
  for (const n of spec.nodes) net.hosts.get(n)!.root.bridgeNfCallIptables = true;
  const cluster = new Cluster(spec.nodes, spec.clusterCidr, Cluster.specOf(spec).serviceCidr, created);
  if (spec.cni !== undefined && overlay !== undefined) cniNodes(net, cluster, spec, overlay);
  for (const p of spec.pods ?? []) {
    const host = net.hosts.get(p.node)!;
    // CoreDNS answers on UDP (dns-server.ts); the other processes are serve_hostname.
    const serve = (p.serve ?? []).filter((s) => s.reply === "hostname").map((s) => s.port);
    if (cluster.cni.has(p.node) && p.netns === undefined && !host.namespaces.has(p.name)) {
      const probe = p.readinessProbe === undefined ? {} : { probe: probeFromSpec(p.readinessProbe) };
      const made = createPod(net, cluster, { name: p.name, namespace: p.namespace ?? "default", node: p.node, labels: p.labels ?? {}, serve, created, files: p.files ?? [], settled: true, ...probe });
      if ("ip" in made && made.probe === undefined) made.ready = p.ready ?? true;
      continue;
    }
    const ns = host.namespaces.get(p.netns ?? p.name)!;
    const pod: Pod = {
      name: p.name,
      namespace: p.namespace ?? "default",
      node: p.node,
      netns: p.netns ?? p.name,
      labels: { ...(p.labels ?? {}) },
      ready: p.ready ?? true,
      ip: ns.device("eth0")!.addresses[0]!.address,
      created,
      files: new Set(p.files ?? []),
      probeFailures: [],
      ...(p.readinessProbe === undefined ? {} : { probe: probeFromSpec(p.readinessProbe) }),
    };
    cluster.pods.set(key(pod.namespace, pod.name), pod);
    startPod(ns, pod, serve);
    startReadiness(net, cluster, pod, true);
    for (const s of p.serve ?? []) if (s.reply === "dns") startDnsServer(ns, pod, s.port, cluster);
  }
  for (const d of spec.deployments ?? []) {
    const deployment = { name: d.name, namespace: d.namespace ?? "default", replicas: d.replicas, labels: { ...d.labels }, serve: (d.serve ?? []).map((s) => s.port), templateHash: randomString(net.random, 10), created, files: d.files ?? [], ...(d.readinessProbe === undefined ? {} : { probe: probeFromSpec(d.readinessProbe) }) };
    cluster.deployments.set(key(deployment.namespace, deployment.name), deployment);
    reconcile(net, cluster, deployment, created, true);
  }
  for (const s of spec.services ?? []) {
    cluster.services.set(key(s.namespace ?? "default", s.name), {
      name: s.name,
      namespace: s.namespace ?? "default",
      type: s.type ?? "ClusterIP",
      clusterIP: s.clusterIP === "None" ? null : parseIpv4OrThrow(s.clusterIP),
      selector: { ...s.selector },
      ports: s.ports.map((p) => ({ name: p.name ?? null, protocol: p.protocol ?? "TCP", port: p.port, targetPort: p.targetPort ?? p.port, nodePort: p.nodePort ?? null })),
      externalTrafficPolicy: s.externalTrafficPolicy ?? "Cluster",
      sessionAffinity: s.sessionAffinity ?? "None",
      affinityTimeout: s.sessionAffinityTimeout ?? 10800,
      created,
    });
  }
  // Every namespace carries its own name as a label (kubernetes.io/metadata.name), which selectors can use.
  for (const n of spec.namespaces ?? []) cluster.namespaceLabels.set(n.name, { ...(n.labels ?? {}), "kubernetes.io/metadata.name": n.name });
  for (const p of spec.networkPolicies ?? []) {
    const policy = policyFromSpec(p, created);
    cluster.networkPolicies.set(key(policy.namespace, policy.name), policy);
  }
  cluster.policyController = spec.networkPolicyController ?? null;
  if (spec.clusterDns !== undefined) cluster.dns = { nameserver: parseIpv4OrThrow(spec.clusterDns), domain: spec.clusterDomain ?? "cluster.local" };
  syncProxies(net, cluster);
  return cluster;
}
