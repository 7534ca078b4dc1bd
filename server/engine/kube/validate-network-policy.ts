/**
 * What the API server (and this model) refuses in the cluster's DNS settings,
 * namespaces and NetworkPolicies beyond their shape: a namespace or policy
 * declared twice, a peer with nothing in it or an ipBlock next to a
 * selector, an ipBlock whose CIDR or except is no network or whose except is
 * not strictly inside the CIDR (the API server's words), egress rules on a
 * policy whose policyTypes leave Egress out (they would do nothing), a
 * clusterDns outside the Service network, and a CoreDNS process (serve:
 * dns) in a cluster that gives pods no DNS. Issues are JSON pointers into
 * the topology.
 */
import { cidrNetwork, parseIpv4, parseIpv4Cidr, prefixMask } from "../wire/ipv4-address.js";
import type { TopologyIssue } from "../topology/validate-topology.js";
import type { KubernetesSpec } from "./kube-schema.js";

export function validateDnsAndPolicies(k: KubernetesSpec): TopologyIssue[] {
  const issues: TopologyIssue[] = [];
  if (k.clusterDns !== undefined) {
    const ip = parseIpv4(k.clusterDns);
    const net = parseIpv4Cidr(k.serviceCidr ?? "10.96.0.0/12");
    if (ip.ok && net.ok && ((ip.value & prefixMask(net.value.prefixLength)) >>> 0) !== cidrNetwork(net.value)) {
      issues.push({ path: "/kubernetes/clusterDns", message: `${k.clusterDns} is not in the service network ${k.serviceCidr ?? "10.96.0.0/12"} (it is the kube-dns Service's cluster IP)` });
    }
  }
  (k.pods ?? []).forEach((p, i) => {
    (p.serve ?? []).forEach((s, j) => {
      if (s.reply === "dns" && k.clusterDns === undefined) issues.push({ path: `/kubernetes/pods/${i}/serve/${j}`, message: "a DNS server pod needs the cluster's clusterDns (the kubelet's --cluster-dns) so that pods use it" });
    });
  });
  const namespaces = new Set<string>();
  (k.namespaces ?? []).forEach((n, i) => {
    if (namespaces.has(n.name)) issues.push({ path: `/kubernetes/namespaces/${i}/name`, message: `namespace ${n.name} is declared twice` });
    namespaces.add(n.name);
  });
  const policies = new Set<string>();
  (k.networkPolicies ?? []).forEach((p, i) => {
    const path = `/kubernetes/networkPolicies/${i}`;
    const id = `${p.namespace ?? "default"}/${p.name}`;
    if (policies.has(id)) issues.push({ path: `${path}/name`, message: `network policy ${id} is declared twice` });
    policies.add(id);
    if (p.policyTypes !== undefined && !p.policyTypes.includes("Egress") && (p.egress ?? []).length > 0) issues.push({ path: `${path}/egress`, message: "egress rules do nothing unless policyTypes lists Egress" });
    (p.ingress ?? []).forEach((r, j) => (r.from ?? []).forEach((f, m) => issues.push(...peerIssues(f, `${path}/ingress/${j}/from/${m}`))));
    (p.egress ?? []).forEach((r, j) => (r.to ?? []).forEach((f, m) => issues.push(...peerIssues(f, `${path}/egress/${j}/to/${m}`))));
  });
  return issues;
}

type Peer = NonNullable<NonNullable<NonNullable<KubernetesSpec["networkPolicies"]>[number]["ingress"]>[number]["from"]>[number];

/** ValidateNetworkPolicyPeer and ValidateIPBlock, in the API server's words. */
function peerIssues(f: Peer, path: string): TopologyIssue[] {
  const count = [f.podSelector, f.namespaceSelector, f.ipBlock].filter((x) => x !== undefined).length;
  if (count === 0) return [{ path, message: "must specify a peer: a podSelector, a namespaceSelector (or both), or an ipBlock" }];
  if (count > 1 && f.ipBlock !== undefined) return [{ path, message: "may not specify both ipBlock and another peer" }];
  if (f.ipBlock === undefined) return [];
  const cidr = parseIpv4Cidr(f.ipBlock.cidr);
  if (!cidr.ok) return [{ path: `${path}/ipBlock/cidr`, message: `Invalid value: "${f.ipBlock.cidr}": must be a valid CIDR` }];
  const issues: TopologyIssue[] = [];
  (f.ipBlock.except ?? []).forEach((e, i) => {
    const ex = parseIpv4Cidr(e);
    if (!ex.ok) {
      issues.push({ path: `${path}/ipBlock/except/${i}`, message: `Invalid value: "${e}": must be a valid CIDR` });
      return;
    }
    const inside = ((ex.value.address & prefixMask(cidr.value.prefixLength)) >>> 0) === cidrNetwork(cidr.value);
    if (!inside || ex.value.prefixLength <= cidr.value.prefixLength) issues.push({ path: `${path}/ipBlock/except/${i}`, message: `Invalid value: "${e}": must be a strict subset of \`cidr\`` });
  });
  return issues;
}
