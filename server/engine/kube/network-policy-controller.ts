/**
 * kube-router's network policy controller in its iptables mode
 * (pkg/controllers/netpol: npc_iptables.go, policy.go, pod.go), run on every
 * node after any change to the cluster, as its informers make it. It writes:
 *   - jumps at the head of INPUT, FORWARD and OUTPUT to KUBE-ROUTER-INPUT,
 *     -FORWARD and -OUTPUT, and in KUBE-ROUTER-INPUT a RETURN for the
 *     Service network;
 *   - KUBE-NWPLCY-COMMON (drop INVALID, accept RELATED,ESTABLISHED and three
 *     ICMP types) and KUBE-NWPLCY-DEFAULT (mark 0x10000: allowed);
 *   - per policy a KUBE-NWPLCY-<hash> chain and its sets. For ingress: a
 *     hash:ip KUBE-DST-<hash> holding the pods it selects, per rule a hash:ip
 *     KUBE-SRC-<hash> of the pods its `from` allows and a hash:net
 *     KUBE-SRC-<hash> of its ipBlocks (each `except` a nomatch entry). For
 *     egress the mirror image: a hash:ip KUBE-SRC-<hash> of the pods it
 *     selects, per rule KUBE-DST-<hash> sets of the pods and ipBlocks its
 *     `to` allows. Each allowed combination is a pair of rules, MARK 0x10000
 *     then RETURN when marked;
 *   - per pod of this node a KUBE-POD-FW-<hash> chain: the common chain, the
 *     node's own traffic accepted, the policies that select the pod, by
 *     destination for ingress and by source for egress (or the default
 *     chain when none does, per direction), REJECT unless marked,
 *     then the mark cleared and 0x20000 ("netpol-ok") set, which the end of
 *     the KUBE-ROUTER-* chains accepts;
 *   - jumps from KUBE-ROUTER-FORWARD (routed, and bridged with -m physdev
 *     --physdev-is-bridged), -OUTPUT and -INPUT to the pod chains, by the
 *     pod's address as destination and as source.
 * Chain names carry the sync's version (the time of the sync in base 36, the
 * simulator's clock here): every sync makes new chains and removes the old.
 *
 * Not written, because the model has no such match or target: the NFLOG
 * rule before each REJECT, the node-port RETURNs (-m multiport) of
 * KUBE-ROUTER-INPUT, and the KUBE-NWPLCY-TAIL chain of recent releases (its
 * only rule without --netpol-default-deny is the 0x20000 ACCEPT written here
 * at the end of each top-level chain instead, as releases before it did).
 * Named ports and endPort are refused by the schema.
 */
import { createHash } from "node:crypto";
import { ruleFromArgs } from "../commands/iptables.js";
import { isLimitReached } from "../object-quota.js";
import type { NetNamespace } from "../stack/namespace.js";
import { sameRule } from "../stack/netfilter/rule.js";
import type { Chain } from "../stack/netfilter/tables.js";
import type { Network } from "../topology/network.js";
import type { NetEntry } from "../stack/netfilter/ipsets.js";
import { formatIpv4, parseIpv4CidrOrThrow } from "../wire/ipv4-address.js";
import { base32 } from "./chain-names.js";
import type { Cluster, Pod } from "./cluster.js";
import { rulePods, targetPods, type NetworkPolicy, type PolicyPeer, type PolicyPort } from "./network-policy.js";

type Line = string[];

export const FORWARD_CHAIN = "KUBE-ROUTER-FORWARD";
const INPUT_CHAIN = "KUBE-ROUTER-INPUT";
const OUTPUT_CHAIN = "KUBE-ROUTER-OUTPUT";
const DEFAULT_CHAIN = "KUBE-NWPLCY-DEFAULT";
const COMMON_CHAIN = "KUBE-NWPLCY-COMMON";
const TOP: [string, string][] = [
  ["INPUT", INPUT_CHAIN],
  ["FORWARD", FORWARD_CHAIN],
  ["OUTPUT", OUTPUT_CHAIN],
];
const IPV4 = "IPv4";

/** base32.StdEncoding of a SHA-256, first 16 characters: every name kube-router hashes (its padding never reaches them). */
const hash16 = (text: string) => base32(createHash("sha256").update(text).digest()).slice(0, 16);

export const podFirewallChain = (pod: Pod, version: string) => `KUBE-POD-FW-${hash16(pod.namespace + pod.name + version)}`;
export const policyChain = (p: NetworkPolicy, version: string) => `KUBE-NWPLCY-${hash16(p.namespace + p.name + version + IPV4)}`;
export const targetDestSet = (p: NetworkPolicy) => `KUBE-DST-${hash16(p.namespace + p.name + IPV4)}`;
export const targetSourceSet = (p: NetworkPolicy) => `KUBE-SRC-${hash16(p.namespace + p.name + IPV4)}`;
export const ruleSourceSet = (p: NetworkPolicy, rule: number) => `KUBE-SRC-${hash16(`${p.namespace}${p.name}ingressrule${rule}${IPV4}pod`)}`;
export const ruleSourceBlockSet = (p: NetworkPolicy, rule: number) => `KUBE-SRC-${hash16(`${p.namespace}${p.name}ingressrule${rule}${IPV4}ipblock`)}`;
export const ruleDestSet = (p: NetworkPolicy, rule: number) => `KUBE-DST-${hash16(`${p.namespace}${p.name}egressrule${rule}${IPV4}pod`)}`;
export const ruleDestBlockSet = (p: NetworkPolicy, rule: number) => `KUBE-DST-${hash16(`${p.namespace}${p.name}egressrule${rule}${IPV4}ipblock`)}`;

/** evalIPBlockPeer: each ipBlock's CIDR, and its excepts as nomatch entries; a /0 as its two halves, which hash:net can hold. */
export function ipBlockEntries(peers: PolicyPeer[] | null): NetEntry[] {
  const out: NetEntry[] = [];
  const add = (cidr: string, nomatch: boolean) => {
    const c = parseIpv4CidrOrThrow(cidr);
    if (c.prefixLength === 0) out.push({ address: 0, prefix: 1, nomatch }, { address: 0x80000000, prefix: 1, nomatch });
    else out.push({ address: (c.address & ((0xffffffff << (32 - c.prefixLength)) >>> 0)) >>> 0, prefix: c.prefixLength, nomatch });
  };
  for (const peer of peers ?? []) {
    if (peer.ipBlock === null || peer.podSelector !== null || peer.namespaceSelector !== null) continue;
    add(peer.ipBlock.cidr, false);
    for (const e of peer.ipBlock.except) add(e, true);
  }
  return out;
}

/** A set's content: pods' addresses, or networks. */
export type SetContent = { type: "hash:ip"; members: number[] } | { type: "hash:net"; nets: NetEntry[] };

/** addUUIDForRuleSpec: the comment of a positioned rule ends with a hash of its chain and words. */
function withUuid(chain: string, words: string[]): string[] {
  const uuid = hash16(chain + words.join(""));
  const i = words.indexOf("--comment");
  return words.map((w, j) => (j === i + 1 ? `${w} - ${uuid}` : w));
}

const isOwnChain = (name: string) => name.startsWith("KUBE-POD-FW-") || (name.startsWith("KUBE-NWPLCY-") && name !== DEFAULT_CHAIN && name !== COMMON_CHAIN);

/** What one sync writes on a node: the chains, the rules (as iptables-restore lines) and the sets. */
export interface PolicyRules {
  chains: string[];
  rules: Line[];
  sets: Map<string, SetContent>;
}

/** A rule of either direction: its peers (ingress's `from`, egress's `to`; null: any) and ports. */
interface DirectionRule {
  peers: PolicyPeer[] | null;
  ports: PolicyPort[] | null;
}

/**
 * What tells ingress from egress in kube-router's rules: ingress takes the
 * policy's pods as destinations and its rules' peers as sources, egress the
 * other way round, and each names its sets and comments after itself.
 */
interface Direction {
  type: "Ingress" | "Egress";
  /** The word of its comments ("ingress pods", "default egress"). */
  word: "ingress" | "egress";
  /** Which end of a packet the policy's own pods are. */
  policyPodsAre: "dst" | "src";
  rules(p: NetworkPolicy): DirectionRule[];
  policyPodSet(p: NetworkPolicy): string;
  peerPodSet(p: NetworkPolicy, rule: number): string;
  peerBlockSet(p: NetworkPolicy, rule: number): string;
}

const INGRESS: Direction = {
  type: "Ingress",
  word: "ingress",
  policyPodsAre: "dst",
  rules: (p) => p.ingress.map((r) => ({ peers: r.from, ports: r.ports })),
  policyPodSet: targetDestSet,
  peerPodSet: ruleSourceSet,
  peerBlockSet: ruleSourceBlockSet,
};
const EGRESS: Direction = {
  type: "Egress",
  word: "egress",
  policyPodsAre: "src",
  rules: (p) => p.egress.map((r) => ({ peers: r.to, ports: r.ports })),
  policyPodSet: targetSourceSet,
  peerPodSet: ruleDestSet,
  peerBlockSet: ruleDestBlockSet,
};
/** In the order kube-router writes them. */
const DIRECTIONS = [INGRESS, EGRESS];
/** How a pod chain matches its pod at that end of the packet. */
const ADDRESS_FLAG = { dst: "-d", src: "-s" } as const;

const podSet = (pods: Pod[]): SetContent => ({ type: "hash:ip", members: pods.map((pod) => pod.ip) });

/** appendRuleToPolicyChain, bound to one policy's chain. */
type Allow = (kind: string, src: string | null, dst: string | null, ports: PolicyPort[] | null) => void;

/**
 * processIngressRules / processEgressRules: the set of the pods the policy
 * selects, per rule the sets of the pods and the ipBlocks its peers allow,
 * and an allowed combination for each, in one direction.
 */
function directionRules(cluster: Cluster, p: NetworkPolicy, direction: Direction, targets: Pod[], sets: Map<string, SetContent>, allow: Allow): void {
  const own = direction.policyPodSet(p);
  sets.set(own, podSet(targets));
  // The pair of sets as appendRuleToPolicyChain takes them, source first; null: any address at that end.
  const between = (peer: string | null): [string | null, string | null] => (direction.policyPodsAre === "dst" ? [peer, own] : [own, peer]);
  direction.rules(p).forEach((rule, i) => {
    if (rule.peers === null) {
      allow(`${direction.word} any`, ...between(null), rule.ports);
      return;
    }
    const pods = rulePods(cluster, p, rule.peers);
    // Peers that select no pod add no pod rule: nothing is allowed by them.
    if (pods.length > 0) {
      const peer = direction.peerPodSet(p, i);
      sets.set(peer, podSet(pods));
      allow(`${direction.word} pods`, ...between(peer), rule.ports);
    }
    const blocks = ipBlockEntries(rule.peers);
    if (blocks.length > 0) {
      const peer = direction.peerBlockSet(p, i);
      sets.set(peer, { type: "hash:net", nets: blocks });
      allow(`${direction.word} ipBlock`, ...between(peer), rule.ports);
    }
  });
}

/** The filter rules and sets kube-router on `node` writes for the cluster at `version`. */
export function policyRules(cluster: Cluster, node: string, version: string): PolicyRules {
  const chains: string[] = [INPUT_CHAIN, FORWARD_CHAIN, OUTPUT_CHAIN, DEFAULT_CHAIN, COMMON_CHAIN];
  const rules: Line[] = [
    ["-A", INPUT_CHAIN, ...withUuid(INPUT_CHAIN, ["-m", "comment", "--comment", "allow traffic to primary/secondary cluster IP range", "-d", cluster.serviceCidr, "-j", "RETURN"])],
    ["-A", DEFAULT_CHAIN, "-j", "MARK", "-m", "comment", "--comment", "rule to mark traffic matching a network policy", "--set-xmark", "0x10000/0x10000"],
    ["-A", COMMON_CHAIN, "-m", "comment", "--comment", "rule to drop invalid state for pod", "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"],
    ["-A", COMMON_CHAIN, "-m", "comment", "--comment", "rule for stateful firewall for pod", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
    ["-A", COMMON_CHAIN, "-m", "comment", "--comment", "allow icmp echo requests", "-p", "icmp", "--icmp-type", "echo-request", "-j", "ACCEPT"],
    ["-A", COMMON_CHAIN, "-m", "comment", "--comment", "allow icmp destination unreachable messages", "-p", "icmp", "--icmp-type", "destination-unreachable", "-j", "ACCEPT"],
    ["-A", COMMON_CHAIN, "-m", "comment", "--comment", "allow icmp time exceeded messages", "-p", "icmp", "--icmp-type", "time-exceeded", "-j", "ACCEPT"],
  ];
  const sets = new Map<string, SetContent>();
  const policies = [...cluster.networkPolicies.values()].sort((a, b) => (`${a.namespace}/${a.name}` < `${b.namespace}/${b.name}` ? -1 : 1));
  const targets = new Map<NetworkPolicy, Pod[]>(policies.map((p) => [p, targetPods(cluster, p)]));

  // syncNetworkPolicyChains: one chain per policy, its sets, a MARK/RETURN pair per allowed combination.
  for (const p of policies) {
    const chain = policyChain(p, version);
    chains.push(chain);
    const comment = (kind: string) => ["-m", "comment", "--comment", `${p.namespace}/${p.name} ${kind}`];
    // appendRuleToPolicyChain: the source set, the destination set, the port; MARK, then RETURN once marked.
    const allow: Allow = (kind, src, dst, ports) => {
      for (const port of ports ?? [null]) {
        const words = [...comment(kind), ...(src === null ? [] : ["-m", "set", "--match-set", src, "src"]), ...(dst === null ? [] : ["-m", "set", "--match-set", dst, "dst"]), ...(port === null ? [] : ["-p", port.protocol, "--dport", String(port.port)])];
        rules.push(["-A", chain, ...words, "-j", "MARK", "--set-xmark", "0x10000/0x10000"]);
        rules.push(["-A", chain, ...words, "-m", "mark", "--mark", "0x10000/0x10000", "-j", "RETURN"]);
      }
    };
    for (const direction of DIRECTIONS) {
      if (p.policyTypes.includes(direction.type)) directionRules(cluster, p, direction, targets.get(p)!, sets, allow);
    }
  }

  // syncPodFirewallChains: the pods of this node, each behind its own chain.
  const local = [...cluster.pods.values()].filter((pod) => pod.node === node).sort((a, b) => a.ip - b.ip);
  const jumps: Line[] = [];
  for (const pod of local) {
    const chain = podFirewallChain(pod, version);
    chains.push(chain);
    const ip = formatIpv4(pod.ip);
    const head: Line[] = [];
    // Each rule kube-router writes with -I 1 lands above the previous ones: built here in the order they end up.
    for (const direction of DIRECTIONS) {
      const selecting = policies.filter((p) => p.policyTypes.includes(direction.type) && targets.get(p)!.some((t) => t.ip === pod.ip));
      const byAddress = [ADDRESS_FLAG[direction.policyPodsAre], ip];
      for (const p of selecting) head.unshift(["-A", chain, ...byAddress, "-m", "comment", "--comment", `${p.namespace}/${p.name} policy`, "-j", policyChain(p, version)]);
      if (selecting.length === 0) head.unshift(["-A", chain, ...byAddress, "-m", "comment", "--comment", `default ${direction.word}`, "-j", DEFAULT_CHAIN]);
    }
    head.unshift(["-A", chain, "-m", "comment", "--comment", "from local node", "-m", "addrtype", "--src-type", "LOCAL", "-d", ip, "-j", "ACCEPT"]);
    head.unshift(["-A", chain, "-m", "comment", "--comment", "common netpol rules", "-j", COMMON_CHAIN]);
    rules.push(
      ...head,
      ["-A", chain, "-m", "comment", "--comment", `${pod.namespace}/${pod.name} reject`, "-m", "mark", "!", "--mark", "0x10000/0x10000", "-j", "REJECT"],
      ["-A", chain, "-j", "MARK", "--set-mark", "0/0x10000"],
      ["-A", chain, "-m", "comment", "--comment", "set netpol-ok mark", "-j", "MARK", "--set-mark", "0x20000/0x20000"],
    );
    const inComment = ["-m", "comment", "--comment", `${pod.namespace}/${pod.name} in`];
    const outComment = ["-m", "comment", "--comment", `${pod.namespace}/${pod.name} out`];
    jumps.push(
      ["-A", FORWARD_CHAIN, ...inComment, "-d", ip, "-j", chain],
      ["-A", OUTPUT_CHAIN, ...inComment, "-d", ip, "-j", chain],
      ["-A", FORWARD_CHAIN, "-m", "physdev", "--physdev-is-bridged", ...inComment, "-d", ip, "-j", chain],
      ...TOP.map(([, top]) => ["-A", top, ...outComment, "-s", ip, "-j", chain]),
      ["-A", FORWARD_CHAIN, "-m", "physdev", "--physdev-is-bridged", ...outComment, "-s", ip, "-j", chain],
    );
  }
  rules.push(...jumps);
  for (const [, top] of TOP) rules.push(["-A", top, "-m", "comment", "--comment", "rule to explicitly ACCEPT traffic that comply to network policies", "-m", "mark", "--mark", "0x20000/0x20000", "-j", "ACCEPT"]);
  return { chains, rules, sets };
}

function ensureChain(ns: NetNamespace, name: string): Chain | null {
  const found = ns.netfilter.chain("filter", name);
  if (found !== undefined) return found;
  const made = ns.netfilter.newChain("filter", name);
  return isLimitReached(made) ? null : made;
}

/** One node's sync: sets first (rules refer to them), the top-level jumps at position 1, the chains, then stale chains and sets go. */
export function syncNodePolicies(ns: NetNamespace, cluster: Cluster, node: string, version: string): void {
  const nf = ns.netfilter;
  const { chains, rules, sets } = policyRules(cluster, node, version);
  for (const [name, content] of sets) {
    let set = nf.ipsets.get(name);
    if (set === undefined) {
      const made = nf.ipsets.create(name, 0, ns.ctx.random.nextUint32(), content.type);
      if (isLimitReached(made)) continue;
      set = made;
    }
    nf.ipsets.flush(set);
    if (content.type === "hash:ip") for (const m of content.members) nf.ipsets.add(set, m);
    else for (const n of content.nets) nf.ipsets.add(set, n.address, n.prefix, n.nomatch);
  }
  for (const name of chains) {
    const c = ensureChain(ns, name);
    if (c !== null) nf.flushChain(c);
  }
  for (const [builtin, top] of TOP) {
    const { rule } = ruleFromArgs("filter", ["-A", builtin, ...withUuid(builtin, ["-m", "comment", "--comment", "kube-router netpol", "-j", top])]);
    const c = nf.chain("filter", builtin)!;
    const at = c.rules.findIndex((r) => sameRule(r, rule));
    if (at === 0) continue;
    if (at > 0) nf.deleteRule(c, at);
    nf.insertRule(c, rule, 0);
  }
  for (const line of rules) {
    const { chain, rule } = ruleFromArgs("filter", line);
    const c = nf.chain("filter", chain);
    if (c !== undefined) nf.insertRule(c, rule);
  }
  const declared = new Set(chains);
  // Stale chains refer to one another (a pod's chain to a policy's): all flushed before any is deleted.
  const stale = [...nf.tables.filter.values()].filter((c) => !c.builtin && !declared.has(c.name) && isOwnChain(c.name));
  for (const c of stale) nf.flushChain(c);
  for (const c of stale) if (nf.references("filter", c.name) === 0) nf.deleteChain("filter", c.name);
  for (const set of nf.ipsets.list()) {
    if ((set.name.startsWith("KUBE-SRC-") || set.name.startsWith("KUBE-DST-")) && !sets.has(set.name) && nf.setReferences(set.name) === 0) nf.ipsets.destroy(set.name);
  }
}

/** Every node's controller syncs, when the cluster has one; the version is the sync's time, as kube-router takes its clock's. */
export function syncPolicies(net: Network, cluster: Cluster): void {
  if (cluster.policyController === null) return;
  const version = (BigInt(net.scheduler.now) * 1000n).toString(36);
  for (const node of cluster.nodes) {
    const host = net.hosts.get(node);
    if (host !== undefined) syncNodePolicies(host.root, cluster, node, version);
  }
}
