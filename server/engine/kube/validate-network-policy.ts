/**
 * What the API server (and this model) refuses in the cluster's DNS settings,
 * namespaces and NetworkPolicies beyond their shape: a namespace or policy
 * declared twice, a `from` item with no selector (ipBlock is not modelled),
 * egress policies (not modelled yet), a clusterDns outside the Service
 * network, and a CoreDNS process (serve: dns) in a cluster that gives pods
 * no DNS. Issues are JSON pointers into the topology.
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
    if ((p.policyTypes ?? []).includes("Egress")) issues.push({ path: `${path}/policyTypes`, message: "egress policies are not simulated: give policyTypes [Ingress]" });
    (p.ingress ?? []).forEach((r, j) => {
      (r.from ?? []).forEach((f, m) => {
        if (f.podSelector === undefined && f.namespaceSelector === undefined) issues.push({ path: `${path}/ingress/${j}/from/${m}`, message: "a from item needs a podSelector, a namespaceSelector or both (ipBlock is not simulated)" });
      });
    });
  });
  return issues;
}
