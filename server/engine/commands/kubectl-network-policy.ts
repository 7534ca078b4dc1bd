/**
 * kubectl for NetworkPolicies (networking.k8s.io/v1): the table `get` prints
 * (name, the pod selector as "k=v,…" or <none> when it selects every pod of
 * the namespace, age), `describe` laid out as describe.go lays it out (each
 * `from` or `to` item its own "From:"/"To:", an ipBlock with its CIDR and
 * Except, rules apart by "----------"), and `patch` with a merge patch of the spec
 * (podSelector, policyTypes, ingress, egress: a list given in a merge patch replaces
 * the whole list), checked against the same schema and rules as the lab file's
 * policies. After a change the policy controller resyncs with kube-proxy.
 */
import { Compile } from "typebox/compile";
import type { Cluster } from "../kube/cluster.js";
import { kubernetesSchema } from "../kube/kube-schema.js";
import { policyFromSpec, type NetworkPolicy, type PolicyPeer, type PolicyPort } from "../kube/network-policy.js";
import { validateDnsAndPolicies } from "../kube/validate-network-policy.js";
import { syncProxies } from "../kube/proxier.js";
import { Type } from "typebox";
import { fail, type CommandContext } from "./command-context.js";
import { ctime } from "./iptables-save.js";

export function networkPolicyRows(cluster: Cluster, inNamespace: (ns: string) => boolean, age: (created: number) => string): { namespace: string; name: string; row: string[] }[] {
  return [...cluster.networkPolicies.values()]
    .filter((p) => inNamespace(p.namespace))
    .sort((a, b) => (a.name < b.name ? -1 : 1))
    .map((p) => ({ namespace: p.namespace, name: p.name, row: [p.name, Object.entries(p.podSelector).map(([k, v]) => `${k}=${v}`).join(",") || "<none>", age(p.created)] }));
}

const Any = Type.String();
/** The lab file's policy schema, from the same primitives the topology uses. */
const policyValidator = Compile(kubernetesSchema({ Ipv4Address: Any, Ipv4Cidr: Any, ObjectName: Any }).properties.networkPolicies.items);

type Spec = Record<string, unknown>;

export function patchNetworkPolicy(ctx: CommandContext, cluster: Cluster, namespace: string, name: string, body: string | null): number {
  const policy = cluster.networkPolicies.get(`${namespace}/${name}`);
  if (policy === undefined) fail(`Error from server (NotFound): networkpolicies.networking.k8s.io "${name}" not found`, 1);
  if (body === null) fail("error: must specify --patch or --patch-file containing the contents of the patch", 1);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    fail(`error: unable to parse "${body}": yaml: did not find expected node content`, 1);
  }
  const spec = (parsed as { spec?: unknown } | null)?.spec;
  if (typeof spec !== "object" || spec === null || Array.isArray(spec)) fail(`networkpolicy.networking.k8s.io/${name} patched (no change)`, 0);
  const peerSpec = (f: PolicyPeer) => ({
    ...(f.podSelector === null ? {} : { podSelector: { matchLabels: f.podSelector } }),
    ...(f.namespaceSelector === null ? {} : { namespaceSelector: { matchLabels: f.namespaceSelector } }),
    ...(f.ipBlock === null ? {} : { ipBlock: { cidr: f.ipBlock.cidr, ...(f.ipBlock.except.length === 0 ? {} : { except: f.ipBlock.except }) } }),
  });
  const ruleSpec = (key: "from" | "to", peers: PolicyPeer[] | null, ports: PolicyPort[] | null) => ({ ...(peers === null ? {} : { [key]: peers.map(peerSpec) }), ...(ports === null ? {} : { ports }) });
  const current: Spec = {
    name: policy.name,
    namespace: policy.namespace,
    podSelector: { matchLabels: policy.podSelector },
    policyTypes: policy.policyTypes,
    ingress: policy.ingress.map((r) => ruleSpec("from", r.from, r.ports)),
    egress: policy.egress.map((r) => ruleSpec("to", r.to, r.ports)),
  };
  const next: Spec = { ...current };
  for (const [k, v] of Object.entries(spec as Spec)) {
    if (!["podSelector", "policyTypes", "ingress", "egress"].includes(k)) fail(`The NetworkPolicy "${name}" is invalid: spec.${k}: not simulated in cnlab (podSelector, policyTypes, ingress and egress are)`, 1);
    if (v === null) delete next[k];
    else next[k] = v;
  }
  if (next.podSelector === undefined) next.podSelector = {};
  if (!policyValidator.Check(next)) {
    const first = [...policyValidator.Errors(next)][0];
    fail(`The NetworkPolicy "${name}" is invalid: spec${first?.instancePath.replace(/\//g, ".") ?? ""}: ${first?.message ?? "invalid"}`, 1);
  }
  // The same checks as a lab file's policy, in the API server's words.
  const issue = validateDnsAndPolicies({ nodes: [], clusterCidr: "", networkPolicies: [next as Parameters<typeof policyFromSpec>[0]] })[0];
  if (issue !== undefined) fail(`The NetworkPolicy "${name}" is invalid: spec${issue.path.replace(/^\/kubernetes\/networkPolicies\/0/, "").replace(/\/(\d+)/g, "[$1]").replace(/\//g, ".")}: ${issue.message}`, 1);
  const updated = policyFromSpec(next as Parameters<typeof policyFromSpec>[0], policy.created);
  const changed = JSON.stringify(updated) !== JSON.stringify(policy);
  cluster.networkPolicies.set(`${namespace}/${name}`, updated);
  ctx.out.push(`networkpolicy.networking.k8s.io/${name} patched${changed ? "" : " (no change)"}`);
  if (changed) syncProxies(ctx.net, cluster);
  return 0;
}

const selectorText = (sel: Record<string, string>) => Object.entries(sel).map(([k, v]) => `${k}=${v}`).join(",") || "<none>";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** Go's "2006-01-02 15:04:05 -0700 MST" of the virtual clock (UTC), from the calendar ctime() already computes. */
function createdOn(micros: number): string {
  const [, month, day, time, year] = ctime(micros).split(/ +/);
  return `${year}-${String(MONTHS.indexOf(month!) + 1).padStart(2, "0")}-${day!.padStart(2, "0")} ${time} +0000 UTC`;
}

/** One From: or To: item, as printNetworkPolicySpecIngressFrom / EgressTo print it. */
function peerLines(word: "From" | "To", f: PolicyPeer): string[] {
  const out = [`    ${word}:`];
  if (f.namespaceSelector !== null) out.push(`      NamespaceSelector: ${selectorText(f.namespaceSelector)}`);
  if (f.podSelector !== null) out.push(`      PodSelector: ${selectorText(f.podSelector)}`);
  if (f.podSelector === null && f.namespaceSelector === null && f.ipBlock !== null) out.push("      IPBlock:", `        CIDR: ${f.ipBlock.cidr}`, `        Except: ${f.ipBlock.except.join(", ")}`);
  return out;
}

/** A direction's rules: ports, peers, "----------" between rules. */
function ruleLines(word: "From" | "To", rules: { peers: PolicyPeer[] | null; ports: PolicyPort[] | null }[], isolated: string, anyPeer: string): string[] {
  if (rules.length === 0) return [`    ${isolated}`];
  const out: string[] = [];
  rules.forEach((r, i) => {
    if (r.ports === null) out.push("    To Port: <any> (traffic allowed to all ports)");
    else for (const port of r.ports) out.push(`    To Port: ${port.port}/${port.protocol}`);
    if (r.peers === null) out.push(`    ${word}: ${anyPeer}`);
    else for (const f of r.peers) out.push(...peerLines(word, f));
    if (i !== rules.length - 1) out.push("    ----------");
  });
  return out;
}

/** describe.go's describeNetworkPolicy: the spec, each rule's ports and peers, "----------" between rules. */
function describeOne(p: NetworkPolicy): string[] {
  const out = [`Name:         ${p.name}`, `Namespace:    ${p.namespace}`, `Created on:   ${createdOn(p.created)}`, "Labels:       <none>", "Annotations:  <none>", "Spec:"];
  const sel = selectorText(p.podSelector);
  out.push(`  PodSelector:     ${sel === "<none>" ? "<none> (Allowing the specific traffic to all pods in this namespace)" : sel}`);
  if (p.policyTypes.includes("Ingress")) {
    out.push("  Allowing ingress traffic:", ...ruleLines("From", p.ingress.map((r) => ({ peers: r.from, ports: r.ports })), "<none> (Selected pods are isolated for ingress connectivity)", "<any> (traffic not restricted by source)"));
  } else out.push("  Not affecting ingress traffic");
  if (p.policyTypes.includes("Egress")) {
    out.push("  Allowing egress traffic:", ...ruleLines("To", p.egress.map((r) => ({ peers: r.to, ports: r.ports })), "<none> (Selected pods are isolated for egress connectivity)", "<any> (traffic not restricted by destination)"));
  } else out.push("  Not affecting egress traffic");
  out.push(`  Policy Types: ${p.policyTypes.join(", ")}`);
  return out;
}

export function describeNetworkPolicies(ctx: CommandContext, cluster: Cluster, namespace: string, name: string | undefined): number {
  const list = [...cluster.networkPolicies.values()].filter((p) => p.namespace === namespace && (name === undefined || p.name === name)).sort((a, b) => (a.name < b.name ? -1 : 1));
  if (list.length === 0) {
    if (name !== undefined) fail(`Error from server (NotFound): networkpolicies.networking.k8s.io "${name}" not found`, 1);
    ctx.out.push(`No resources found in ${namespace} namespace.`);
    return 0;
  }
  list.forEach((p, i) => ctx.out.push(...(i > 0 ? ["", "", ...describeOne(p)] : describeOne(p))));
  return 0;
}
