/**
 * NetworkPolicies at run time, and what their selectors pick: the pods a
 * policy applies to (its podSelector in its namespace) and, per ingress
 * rule, the pods its `from` peers allow, as the API defines them and policy
 * controllers evaluate them (kube-router's evalPodPeer): the peers of one
 * rule add up; within one peer a namespaceSelector and a podSelector both
 * have to match. An empty selector matches everything.
 */
import type { Cluster, Pod } from "./cluster.js";
import type { NetworkPolicySpec } from "./kube-schema.js";

export interface PolicyPeer {
  podSelector: Record<string, string> | null;
  namespaceSelector: Record<string, string> | null;
}

export interface PolicyPort {
  protocol: "TCP" | "UDP";
  port: number;
}

export interface IngressRule {
  /** null: from anywhere. */
  from: PolicyPeer[] | null;
  /** null: every port. */
  ports: PolicyPort[] | null;
}

export interface NetworkPolicy {
  name: string;
  namespace: string;
  podSelector: Record<string, string>;
  policyTypes: ("Ingress" | "Egress")[];
  ingress: IngressRule[];
  /** Virtual µs. */
  created: number;
}

export function policyFromSpec(p: NetworkPolicySpec, created: number): NetworkPolicy {
  return {
    name: p.name,
    namespace: p.namespace ?? "default",
    podSelector: { ...(p.podSelector.matchLabels ?? {}) },
    // The API server's default: Ingress, plus Egress when the policy has egress rules (none are modelled).
    policyTypes: p.policyTypes ?? ["Ingress"],
    ingress: (p.ingress ?? []).map((r) => ({
      from: r.from === undefined || r.from.length === 0 ? null : r.from.map((f) => ({ podSelector: f.podSelector === undefined ? null : { ...(f.podSelector.matchLabels ?? {}) }, namespaceSelector: f.namespaceSelector === undefined ? null : { ...(f.namespaceSelector.matchLabels ?? {}) } })),
      ports: r.ports === undefined || r.ports.length === 0 ? null : r.ports.map((q) => ({ protocol: q.protocol ?? "TCP", port: q.port })),
    })),
    created,
  };
}

/** A label selector's matchLabels against labels: every pair present ({} matches everything). */
export function matchLabels(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** Pods in the cluster's order (by address). */
function pods(cluster: Cluster): Pod[] {
  return [...cluster.pods.values()].sort((a, b) => a.ip - b.ip);
}

/** The pods a policy applies to. */
export function targetPods(cluster: Cluster, p: NetworkPolicy): Pod[] {
  return pods(cluster).filter((pod) => pod.namespace === p.namespace && matchLabels(p.podSelector, pod.labels));
}

/** The pods one peer allows: a podSelector alone stays in the policy's namespace; with a namespaceSelector, both must match. */
export function peerPods(cluster: Cluster, p: NetworkPolicy, peer: PolicyPeer): Pod[] {
  return pods(cluster).filter((pod) => {
    if (peer.namespaceSelector !== null) {
      const nsLabels = cluster.namespaceLabels.get(pod.namespace) ?? { "kubernetes.io/metadata.name": pod.namespace };
      return matchLabels(peer.namespaceSelector, nsLabels) && (peer.podSelector === null || matchLabels(peer.podSelector, pod.labels));
    }
    return pod.namespace === p.namespace && peer.podSelector !== null && matchLabels(peer.podSelector, pod.labels);
  });
}

/** The pods a rule's `from` allows: the union of its peers'. */
export function rulePods(cluster: Cluster, p: NetworkPolicy, rule: IngressRule): Pod[] {
  const seen = new Map<number, Pod>();
  for (const peer of rule.from ?? []) for (const pod of peerPods(cluster, p, peer)) seen.set(pod.ip, pod);
  return [...seen.values()].sort((a, b) => a.ip - b.ip);
}
