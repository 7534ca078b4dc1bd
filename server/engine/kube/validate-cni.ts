/**
 * What a cluster whose pods the CNI chain attaches needs beyond its shape:
 * flanneld's leases (the topology's flannel overlay, a subnet for every
 * node) for the flannel plugin to read, the CNI chain for Deployments'
 * pods, Deployment names used once, and room in each node's subnet for
 * the pods host-local must address. Issues are JSON pointers, as
 * validate-kube's.
 */
import type { TopologySpec } from "../topology/topology-schema.js";
import type { TopologyIssue } from "../topology/validate-topology.js";
import { parseIpv4Cidr } from "../wire/ipv4-address.js";

const FLANNEL_BACKENDS = ["flannel-vxlan", "flannel-udp", "host-gw"];

export function validateCni(spec: TopologySpec): TopologyIssue[] {
  const k = spec.kubernetes;
  if (k === undefined) return [];
  const issues: TopologyIssue[] = [];
  const deployments = k.deployments ?? [];
  if (k.cni === undefined) {
    if (deployments.length > 0) issues.push({ path: "/kubernetes/deployments", message: "a Deployment's pods are attached by the CNI chain: add kubernetes.cni" });
    return issues;
  }
  const overlay = spec.overlay;
  if (overlay === undefined || !FLANNEL_BACKENDS.includes(overlay.backend)) {
    issues.push({ path: "/kubernetes/cni/plugin", message: `the flannel plugin reads flanneld's lease: the topology needs a flannel overlay (${FLANNEL_BACKENDS.join(", ")})` });
    return issues;
  }
  k.nodes.forEach((n, i) => {
    const lease = overlay.subnets[n];
    if (lease === undefined) {
      issues.push({ path: `/kubernetes/nodes/${i}`, message: `node ${n} has no subnet lease in overlay.subnets for the flannel plugin` });
      return;
    }
    const subnet = parseIpv4Cidr(lease);
    const host = spec.hosts.find((h) => h.name === n);
    const declared = new Set([...(host?.namespaces ?? []), ...(host?.containers ?? []).map((c) => c.name)]);
    const attached = (k.pods ?? []).filter((p) => p.node === n && p.netns === undefined && !declared.has(p.name)).length;
    // Deployments' pods are spread over the nodes: count them all against each node, the worst case.
    const replicas = deployments.reduce((sum, d) => sum + d.replicas, 0);
    if (subnet.ok && attached + replicas > 2 ** (32 - subnet.value.prefixLength) - 3) issues.push({ path: `/kubernetes/nodes/${i}`, message: `node ${n}'s lease ${lease} has too few addresses for its pods` });
  });
  const seen = new Set<string>();
  deployments.forEach((d, i) => {
    const id = `${d.namespace ?? "default"}/${d.name}`;
    if (seen.has(id)) issues.push({ path: `/kubernetes/deployments/${i}/name`, message: `deployment ${id} is declared twice` });
    seen.add(id);
    if (Object.keys(d.labels).length === 0) issues.push({ path: `/kubernetes/deployments/${i}/labels`, message: "a Deployment's selector needs at least one label" });
  });
  return issues;
}
