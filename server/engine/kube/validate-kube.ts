/**
 * What the API server and the lab's topology would refuse in a cluster's
 * objects, beyond their shape: nodes that are not hosts, a pod whose
 * namespace or eth0 address is missing, a name used twice, a cluster IP
 * outside the Service network or used twice, a NodePort Service without
 * node ports (or one used twice), node ports on a ClusterIP Service, port
 * names missing where a Service has several ports. Issues are JSON pointers
 * into the topology, like validate-topology's.
 */
import { cidrNetwork, parseIpv4, parseIpv4Cidr, prefixMask } from "../wire/ipv4-address.js";
import { ROOT_NAMESPACE, type TopologySpec } from "../topology/topology-schema.js";
import type { TopologyIssue } from "../topology/validate-topology.js";
import { validateCni } from "./validate-cni.js";
import { validateDnsAndPolicies } from "./validate-network-policy.js";
import { validateProbe } from "./validate-probe.js";

export function validateKubernetes(spec: TopologySpec): TopologyIssue[] {
  const k = spec.kubernetes;
  if (k === undefined) return [];
  const issues: TopologyIssue[] = validateCni(spec);
  const hosts = new Map(spec.hosts.map((h) => [h.name, h]));
  k.nodes.forEach((n, i) => {
    if (!hosts.has(n)) issues.push({ path: `/kubernetes/nodes/${i}`, message: `node "${n}" is not a host of the topology` });
    if (k.nodes.indexOf(n) !== i) issues.push({ path: `/kubernetes/nodes/${i}`, message: `node "${n}" is listed twice` });
  });
  const serviceCidr = parseIpv4Cidr(k.serviceCidr ?? "10.96.0.0/12");
  const seenPods = new Set<string>();
  (k.pods ?? []).forEach((p, i) => {
    const path = `/kubernetes/pods/${i}`;
    const id = `${p.namespace ?? "default"}/${p.name}`;
    if (seenPods.has(id)) issues.push({ path: `${path}/name`, message: `pod ${id} is declared twice` });
    seenPods.add(id);
    if (p.readinessProbe !== undefined) issues.push(...validateProbe(p.readinessProbe, `${path}/readinessProbe`));
    if (p.readinessProbe !== undefined && p.ready !== undefined) issues.push({ path: `${path}/ready`, message: "a pod with a readinessProbe is ready when its probe passes: leave ready out" });
    if (!k.nodes.includes(p.node)) {
      issues.push({ path: `${path}/node`, message: `"${p.node}" is not one of the cluster's nodes` });
      return;
    }
    const host = hosts.get(p.node);
    const netns = p.netns ?? p.name;
    if (host === undefined) return;
    const namespaces = new Set([...(host.namespaces ?? []), ...(host.containers ?? []).filter((c) => c.network !== "host").map((c) => c.name)]);
    // With a CNI chain, a pod whose namespace the topology does not declare is attached by it.
    if (k.cni !== undefined && p.netns === undefined && !namespaces.has(netns)) return;
    if (netns === ROOT_NAMESPACE || !namespaces.has(netns)) {
      issues.push({ path: `${path}/${p.netns === undefined ? "name" : "netns"}`, message: `node ${p.node} has no network namespace "${netns}" for the pod (declare it in namespaces or containers)` });
      return;
    }
    const ends = [...(host.veths ?? []).flatMap((v) => [v, v.peer]), ...(host.nics ?? [])];
    const eth0 = ends.find((e) => e.name === "eth0" && (e.namespace ?? ROOT_NAMESPACE) === netns);
    if (eth0 === undefined || (eth0.addresses ?? []).length === 0) issues.push({ path, message: `the pod's namespace ${netns} on ${p.node} has no eth0 with an address` });
  });
  const clusterIPs = new Map<string, string>();
  const nodePorts = new Map<number, string>();
  const seenServices = new Set<string>();
  (k.services ?? []).forEach((s, i) => {
    const path = `/kubernetes/services/${i}`;
    const id = `${s.namespace ?? "default"}/${s.name}`;
    if (seenServices.has(id)) issues.push({ path: `${path}/name`, message: `service ${id} is declared twice` });
    seenServices.add(id);
    const ip = parseIpv4(s.clusterIP);
    if (ip.ok && serviceCidr.ok) {
      const inside = ((ip.value & prefixMask(serviceCidr.value.prefixLength)) >>> 0) === cidrNetwork(serviceCidr.value);
      if (!inside) issues.push({ path: `${path}/clusterIP`, message: `${s.clusterIP} is not in the service network ${k.serviceCidr ?? "10.96.0.0/12"}` });
    }
    // Headless Services (clusterIP: None) hold no address to share.
    const other = s.clusterIP === "None" ? undefined : clusterIPs.get(s.clusterIP);
    if (other !== undefined) issues.push({ path: `${path}/clusterIP`, message: `cluster IP ${s.clusterIP} is already allocated to ${other}` });
    if (s.clusterIP !== "None") clusterIPs.set(s.clusterIP, id);
    if (s.clusterIP === "None" && s.type === "NodePort") issues.push({ path: `${path}/type`, message: "a headless Service (clusterIP: None) cannot be of type NodePort" });
    const names = new Set<string>();
    s.ports.forEach((p, j) => {
      const pp = `${path}/ports/${j}`;
      if (s.ports.length > 1 && p.name === undefined) issues.push({ path: pp, message: "a Service with several ports must name each of them" });
      if (p.name !== undefined && names.has(p.name)) issues.push({ path: `${pp}/name`, message: `port name "${p.name}" is used twice` });
      if (p.name !== undefined) names.add(p.name);
      if ((s.type ?? "ClusterIP") === "ClusterIP" && p.nodePort !== undefined) issues.push({ path: `${pp}/nodePort`, message: "a ClusterIP Service has no node ports (type: NodePort)" });
      if (s.type === "NodePort" && p.nodePort === undefined) issues.push({ path: pp, message: "give the port its nodePort (30000-32767): the lab picks none at random" });
      if (p.nodePort !== undefined) {
        const used = nodePorts.get(p.nodePort);
        if (used !== undefined) issues.push({ path: `${pp}/nodePort`, message: `node port ${p.nodePort} is already allocated to ${used}` });
        nodePorts.set(p.nodePort, id);
      }
    });
    if (s.externalTrafficPolicy === "Local" && s.type !== "NodePort") issues.push({ path: `${path}/externalTrafficPolicy`, message: "externalTrafficPolicy applies to NodePort Services only" });
  });
  (k.deployments ?? []).forEach((d, i) => {
    if (d.readinessProbe !== undefined) issues.push(...validateProbe(d.readinessProbe, `/kubernetes/deployments/${i}/readinessProbe`));
  });
  issues.push(...validateDnsAndPolicies(k));
  return issues;
}
