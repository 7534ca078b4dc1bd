/**
 * NetworkPolicies at run time, and what their selectors pick: the pods a
 * policy applies to (its podSelector in its namespace) and, per ingress
 * rule, the pods its `from` peers allow (per egress rule, its `to` peers),
 * as the API defines them and policy controllers evaluate them
 * (kube-router's evalPodPeer): the peers of one rule add up; within one peer
 * a namespaceSelector and a podSelector both have to match. An empty
 * selector matches everything. An ipBlock peer selects no pod: it is
 * addresses (evalIPBlockPeer).
 */
import type { Cluster, Pod } from "./cluster.js";
import type { NetworkPolicySpec } from "./kube-schema.js";

export interface PolicyPeer {
  podSelector: Record<string, string> | null;
  namespaceSelector: Record<string, string> | null;
  /** Alone in its peer, when given. */
  ipBlock: { cidr: string; except: string[] } | null;
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

export interface EgressRule {
  /** null: to anywhere. */
  to: PolicyPeer[] | null;
  /** null: every port. */
  ports: PolicyPort[] | null;
}

export interface NetworkPolicy {
  name: string;
  namespace: string;
  podSelector: Record<string, string>;
  policyTypes: ("Ingress" | "Egress")[];
  ingress: IngressRule[];
  egress: EgressRule[];
  /** Virtual µs. */
  created: number;
}

type PeerSpec = NonNullable<NonNullable<NetworkPolicySpec["ingress"]>[number]["from"]>[number];
type PortSpec = NonNullable<NonNullable<NetworkPolicySpec["ingress"]>[number]["ports"]>[number];

const peerFromSpec = (f: PeerSpec): PolicyPeer => ({
  podSelector: f.podSelector === undefined ? null : { ...(f.podSelector.matchLabels ?? {}) },
  namespaceSelector: f.namespaceSelector === undefined ? null : { ...(f.namespaceSelector.matchLabels ?? {}) },
  ipBlock: f.ipBlock === undefined ? null : { cidr: f.ipBlock.cidr, except: [...(f.ipBlock.except ?? [])] },
});
const peersFromSpec = (peers: PeerSpec[] | undefined) => (peers === undefined || peers.length === 0 ? null : peers.map(peerFromSpec));
const portsFromSpec = (ports: PortSpec[] | undefined) => (ports === undefined || ports.length === 0 ? null : ports.map((q) => ({ protocol: q.protocol ?? "TCP", port: q.port })));

export function policyFromSpec(p: NetworkPolicySpec, created: number): NetworkPolicy {
  return {
    name: p.name,
    namespace: p.namespace ?? "default",
    podSelector: { ...(p.podSelector.matchLabels ?? {}) },
    // The API server's default: Ingress, plus Egress when the policy has egress rules.
    policyTypes: p.policyTypes ?? ((p.egress ?? []).length > 0 ? ["Ingress", "Egress"] : ["Ingress"]),
    ingress: (p.ingress ?? []).map((r) => ({ from: peersFromSpec(r.from), ports: portsFromSpec(r.ports) })),
    egress: (p.egress ?? []).map((r) => ({ to: peersFromSpec(r.to), ports: portsFromSpec(r.ports) })),
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

/** The pods a rule's `from` (or `to`) allows: the union of its peers'. */
export function rulePods(cluster: Cluster, p: NetworkPolicy, peers: PolicyPeer[] | null): Pod[] {
  const seen = new Map<number, Pod>();
  for (const peer of peers ?? []) for (const pod of peerPods(cluster, p, peer)) seen.set(pod.ip, pod);
  return [...seen.values()].sort((a, b) => a.ip - b.ip);
}
