/**
 * kube-proxy in iptables mode, as pkg/proxy/iptables/proxier.go (v1.28)
 * writes a node's rules in syncProxyRules: the jumps from the built-in
 * chains (made once, put first), then, rewritten whole on every sync,
 * KUBE-SERVICES → KUBE-SVC-* (statistic 1/n, 1/(n-1) … on all but the last
 * endpoint; recent for ClientIP affinity) → KUBE-SEP-* (mark for hairpin,
 * DNAT), KUBE-MARK-MASQ, KUBE-POSTROUTING, KUBE-NODEPORTS → KUBE-EXT-* →
 * KUBE-SVC-* or KUBE-SVL-* (externalTrafficPolicy: Local), and the filter
 * table's REJECT for Services without endpoints and DROP for a Local one
 * without endpoints on this node. Each line is built as the words kube-proxy
 * passes to iptables-restore and read by the iptables parser, so the rules
 * print exactly as on a real node. Stale per-service chains are deleted.
 *
 * Not modelled: the kubelet's KUBE-FIREWALL chain, LoadBalancer and external
 * IPs (KUBE-FW-*), internalTrafficPolicy, topology hints, terminating
 * endpoints, IPv6, the large-cluster mode that drops comments.
 */
import { ruleFromArgs } from "../commands/iptables.js";
import { isLimitReached } from "../object-quota.js";
import type { NetNamespace } from "../stack/namespace.js";
import { sameRule, type Rule } from "../stack/netfilter/rule.js";
import type { Chain, TableName } from "../stack/netfilter/tables.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { Network } from "../topology/network.js";
import { endpointChain, externalChain, isServiceChainName, localChain, serviceChain } from "./chain-names.js";
import { servicePortName, type Cluster, type Endpoint } from "./cluster.js";
import { syncPolicies } from "./network-policy-controller.js";

/** --masquerade-bit 14. */
export const MASQUERADE_MARK = "0x4000";

type Line = string[];

interface Jump {
  table: TableName;
  dst: string;
  src: string;
  comment: string;
  extra: string[];
}

/** iptablesJumpChains, in the order kube-proxy ensures them (each put first in its chain, so the last ends up on top). */
const JUMPS: Jump[] = [
  { table: "filter", dst: "KUBE-EXTERNAL-SERVICES", src: "INPUT", comment: "kubernetes externally-visible service portals", extra: ["-m", "conntrack", "--ctstate", "NEW"] },
  { table: "filter", dst: "KUBE-EXTERNAL-SERVICES", src: "FORWARD", comment: "kubernetes externally-visible service portals", extra: ["-m", "conntrack", "--ctstate", "NEW"] },
  { table: "filter", dst: "KUBE-NODEPORTS", src: "INPUT", comment: "kubernetes health check service ports", extra: [] },
  { table: "filter", dst: "KUBE-SERVICES", src: "FORWARD", comment: "kubernetes service portals", extra: ["-m", "conntrack", "--ctstate", "NEW"] },
  { table: "filter", dst: "KUBE-SERVICES", src: "OUTPUT", comment: "kubernetes service portals", extra: ["-m", "conntrack", "--ctstate", "NEW"] },
  { table: "filter", dst: "KUBE-FORWARD", src: "FORWARD", comment: "kubernetes forwarding rules", extra: [] },
  { table: "filter", dst: "KUBE-PROXY-FIREWALL", src: "INPUT", comment: "kubernetes load balancer firewall", extra: ["-m", "conntrack", "--ctstate", "NEW"] },
  { table: "filter", dst: "KUBE-PROXY-FIREWALL", src: "OUTPUT", comment: "kubernetes load balancer firewall", extra: ["-m", "conntrack", "--ctstate", "NEW"] },
  { table: "filter", dst: "KUBE-PROXY-FIREWALL", src: "FORWARD", comment: "kubernetes load balancer firewall", extra: ["-m", "conntrack", "--ctstate", "NEW"] },
  { table: "nat", dst: "KUBE-SERVICES", src: "OUTPUT", comment: "kubernetes service portals", extra: [] },
  { table: "nat", dst: "KUBE-SERVICES", src: "PREROUTING", comment: "kubernetes service portals", extra: [] },
  { table: "nat", dst: "KUBE-POSTROUTING", src: "POSTROUTING", comment: "kubernetes postrouting rules", extra: [] },
];

const FILTER_TOP = ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL"];
const NAT_TOP = ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"];

/** What one sync writes: the chains it declares (flushing them) and the rules, per table, in order. */
export interface ProxyRules {
  filterChains: string[];
  filterRules: Line[];
  natChains: string[];
  natRules: Line[];
}

/** computeProbability: "%0.10f" of 1/n. */
const probability = (n: number) => (1 / n).toFixed(10);
const ep = (e: Endpoint) => `${formatIpv4(e.ip)}:${e.port}`;

/** The rules kube-proxy on `node` writes for the cluster (syncProxyRules' buffers). */
export function proxyRules(cluster: Cluster, node: string): ProxyRules {
  const filterChains = [...FILTER_TOP];
  const filterRules: Line[] = [];
  const natChains = [...NAT_TOP];
  const natRules: Line[] = [
    ["-A", "KUBE-POSTROUTING", "-m", "mark", "!", "--mark", `${MASQUERADE_MARK}/${MASQUERADE_MARK}`, "-j", "RETURN"],
    // Clear the mark so a packet that passes the stack again is not masqueraded twice.
    ["-A", "KUBE-POSTROUTING", "-j", "MARK", "--xor-mark", MASQUERADE_MARK],
    ["-A", "KUBE-POSTROUTING", "-m", "comment", "--comment", "kubernetes service traffic requiring SNAT", "-j", "MASQUERADE", "--random-fully"],
    ["-A", "KUBE-MARK-MASQ", "-j", "MARK", "--or-mark", MASQUERADE_MARK],
  ];
  for (const svc of cluster.sortedServices()) {
    // A headless Service has no virtual address to translate: kube-proxy skips it (only DNS serves it).
    if (svc.clusterIP === null) continue;
    for (const port of svc.ports) {
      const spn = servicePortName(svc, port);
      const protocol = port.protocol.toLowerCase();
      const { ready } = cluster.endpoints(svc, port);
      const clusterEndpoints = ready;
      const extLocal = svc.type === "NodePort" && svc.externalTrafficPolicy === "Local";
      const localEndpoints = extLocal ? ready.filter((e) => e.node === node) : [];
      const hasEndpoints = clusterEndpoints.length > 0;
      const svcChain = serviceChain(spn, protocol);
      const svlChain = localChain(spn, protocol);
      const extChain = externalChain(spn, protocol);
      const usesClusterPolicyChain = clusterEndpoints.length > 0;
      const usesLocalPolicyChain = localEndpoints.length > 0;
      const hasExternalEndpoints = hasEndpoints && (!extLocal || localEndpoints.length > 0);
      const externalPolicyChain = extLocal ? svlChain : svcChain;
      const nodePort = svc.type === "NodePort" ? port.nodePort : null;
      const usesExternalTrafficChain = hasEndpoints && nodePort !== null;
      const clusterIP = formatIpv4(svc.clusterIP);
      const portMatch = ["-m", protocol, "-p", protocol];
      const noEndpoints = `${spn} has no endpoints`;
      const noLocal = `${spn} has no local endpoints`;

      if (hasEndpoints) natRules.push(["-A", "KUBE-SERVICES", "-m", "comment", "--comment", `${spn} cluster IP`, ...portMatch, "-d", clusterIP, "--dport", String(port.port), "-j", svcChain]);
      else filterRules.push(["-A", "KUBE-SERVICES", "-m", "comment", "--comment", noEndpoints, ...portMatch, "-d", clusterIP, "--dport", String(port.port), "-j", "REJECT"]);
      if (nodePort !== null) {
        if (hasEndpoints) natRules.push(["-A", "KUBE-NODEPORTS", "-m", "comment", "--comment", spn, ...portMatch, "--dport", String(nodePort), "-j", extChain]);
        if (!hasExternalEndpoints) {
          filterRules.push(["-A", "KUBE-EXTERNAL-SERVICES", "-m", "comment", "--comment", hasEndpoints ? noLocal : noEndpoints, "-m", "addrtype", "--dst-type", "LOCAL", ...portMatch, "--dport", String(nodePort), "-j", hasEndpoints ? "DROP" : "REJECT"]);
        }
      }
      if (hasEndpoints) {
        // Traffic to the cluster IP from outside the pod network (a node, a router) is masqueraded: the reply must come back through this node.
        natRules.push(["-A", svcChain, "-m", "comment", "--comment", `${spn} cluster IP`, ...portMatch, "-d", clusterIP, "--dport", String(port.port), "!", "-s", cluster.clusterCidr, "-j", "KUBE-MARK-MASQ"]);
      }
      if (usesExternalTrafficChain) {
        natChains.push(extChain);
        if (!extLocal) {
          natRules.push(["-A", extChain, "-m", "comment", "--comment", `masquerade traffic for ${spn} external destinations`, "-j", "KUBE-MARK-MASQ"]);
        } else {
          natRules.push(["-A", extChain, "-m", "comment", "--comment", `pod traffic for ${spn} external destinations`, "-s", cluster.clusterCidr, "-j", svcChain]);
          natRules.push(["-A", extChain, "-m", "comment", "--comment", `masquerade LOCAL traffic for ${spn} external destinations`, "-m", "addrtype", "--src-type", "LOCAL", "-j", "KUBE-MARK-MASQ"]);
          natRules.push(["-A", extChain, "-m", "comment", "--comment", `route LOCAL traffic for ${spn} external destinations`, "-m", "addrtype", "--src-type", "LOCAL", "-j", svcChain]);
        }
        if (hasExternalEndpoints) natRules.push(["-A", extChain, "-j", externalPolicyChain]);
      }
      const toEndpoints = (chain: string, eps: Endpoint[]) => {
        natChains.push(chain);
        if (svc.sessionAffinity === "ClientIP") {
          for (const e of eps) {
            const sep = endpointChain(spn, protocol, ep(e));
            natRules.push(["-A", chain, "-m", "comment", "--comment", `${spn} -> ${ep(e)}`, "-m", "recent", "--name", sep, "--rcheck", "--seconds", String(svc.affinityTimeout), "--reap", "-j", sep]);
          }
        }
        eps.forEach((e, i) => {
          const line = ["-A", chain, "-m", "comment", "--comment", `${spn} -> ${ep(e)}`];
          if (i < eps.length - 1) line.push("-m", "statistic", "--mode", "random", "--probability", probability(eps.length - i));
          natRules.push([...line, "-j", endpointChain(spn, protocol, ep(e))]);
        });
      };
      if (usesClusterPolicyChain) toEndpoints(svcChain, clusterEndpoints);
      if (usesLocalPolicyChain) toEndpoints(svlChain, localEndpoints);
      // Local endpoints are among the cluster's: one KUBE-SEP chain each.
      for (const e of clusterEndpoints) {
        const sep = endpointChain(spn, protocol, ep(e));
        natChains.push(sep);
        const head = ["-A", sep, "-m", "comment", "--comment", spn];
        // A pod that reaches itself through the Service must be masqueraded, or it would answer itself directly.
        natRules.push([...head, "-s", formatIpv4(e.ip), "-j", "KUBE-MARK-MASQ"]);
        const affinity = svc.sessionAffinity === "ClientIP" ? ["-m", "recent", "--name", sep, "--set"] : [];
        natRules.push([...head, ...affinity, ...portMatch, "-j", "DNAT", "--to-destination", ep(e)]);
      }
    }
  }
  natRules.push(["-A", "KUBE-SERVICES", "-m", "comment", "--comment", "kubernetes service nodeports; NOTE: this must be the last rule in this chain", "-m", "addrtype", "--dst-type", "LOCAL", "-j", "KUBE-NODEPORTS"]);
  filterRules.push(
    ["-A", "KUBE-FORWARD", "-m", "conntrack", "--ctstate", "INVALID", "-j", "DROP"],
    ["-A", "KUBE-FORWARD", "-m", "comment", "--comment", "kubernetes forwarding rules", "-m", "mark", "--mark", `${MASQUERADE_MARK}/${MASQUERADE_MARK}`, "-j", "ACCEPT"],
    ["-A", "KUBE-FORWARD", "-m", "comment", "--comment", "kubernetes forwarding conntrack rule", "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"],
  );
  return { filterChains, filterRules, natChains, natRules };
}

/** Makes a chain unless it exists (EnsureChain). */
function ensureChain(ns: NetNamespace, table: TableName, name: string): Chain | null {
  const found = ns.netfilter.chain(table, name);
  if (found !== undefined) return found;
  // Past the session's rule limit the restore fails, as iptables-restore would: the chain stays missing.
  const made = ns.netfilter.newChain(table, name);
  return isLimitReached(made) ? null : made;
}

/** iptables-restore --noflush of one table: declared chains flushed and refilled, stale service chains removed. */
function restore(ns: NetNamespace, table: TableName, chains: string[], lines: Line[]): void {
  const nf = ns.netfilter;
  const declared = new Set(chains);
  for (const name of declared) {
    const c = ensureChain(ns, table, name);
    if (c !== null) nf.flushChain(c);
  }
  for (const line of lines) {
    const { chain, rule } = ruleFromArgs(table, line);
    const c = nf.chain(table, chain);
    if (c !== undefined) nf.insertRule(c, rule);
  }
  for (const c of [...nf.tables[table].values()]) {
    if (c.builtin || declared.has(c.name) || !isServiceChainName(c.name)) continue;
    nf.flushChain(c);
    if (nf.references(table, c.name) === 0) nf.deleteChain(table, c.name);
  }
}

/** One node's sync: the jumps (when missing), then both tables. */
export function syncNode(ns: NetNamespace, cluster: Cluster, node: string): void {
  const nf = ns.netfilter;
  for (const j of JUMPS) {
    if (ensureChain(ns, j.table, j.dst) === null) continue;
    const { chain, rule } = ruleFromArgs(j.table, ["-A", j.src, ...j.extra, "-m", "comment", "--comment", j.comment, "-j", j.dst]);
    const c = nf.chain(j.table, chain)!;
    if (!c.rules.some((r: Rule) => sameRule(r, rule))) nf.insertRule(c, rule, 0);
  }
  const rules = proxyRules(cluster, node);
  restore(ns, "filter", rules.filterChains, rules.filterRules);
  restore(ns, "nat", rules.natChains, rules.natRules);
}

/** The ready endpoints of every service port kube-proxy writes rules for, keyed by port name and protocol. */
function endpointState(cluster: Cluster): Map<string, { spn: string; protocol: string; endpoints: string[] }> {
  const state = new Map<string, { spn: string; protocol: string; endpoints: string[] }>();
  for (const svc of cluster.sortedServices()) {
    if (svc.clusterIP === null) continue;
    for (const port of svc.ports) {
      const spn = servicePortName(svc, port);
      const protocol = port.protocol.toLowerCase();
      state.set(`${spn} ${protocol}`, { spn, protocol, endpoints: cluster.endpoints(svc, port).ready.map(ep) });
    }
  }
  return state;
}

/**
 * A proxy-sync event for each service port whose ready endpoints changed since the node's last
 * sync (none at the first, the lab's start): which KUBE-SEP chains came and went, and the
 * service chain's split now.
 */
function reportChanges(net: Network, cluster: Cluster, node: string): void {
  const now = endpointState(cluster);
  const before = cluster.proxySynced.get(node);
  cluster.proxySynced.set(node, new Map([...now].map(([k, v]) => [k, v.endpoints])));
  if (before === undefined) return;
  for (const k of new Set([...before.keys(), ...now.keys()])) {
    const old = before.get(k) ?? [];
    const cur = now.get(k);
    const endpoints = cur?.endpoints ?? [];
    if (old.join(",") === endpoints.join(",")) continue;
    const [spn, protocol] = cur === undefined ? [k.slice(0, k.lastIndexOf(" ")), k.slice(k.lastIndexOf(" ") + 1)] : [cur.spn, cur.protocol];
    const sep = (e: string) => `${endpointChain(spn, protocol, e)} (${e})`;
    const parts = [...endpoints.filter((e) => !old.includes(e)).map((e) => `${sep(e)} added`), ...old.filter((e) => !endpoints.includes(e)).map((e) => `${sep(e)} removed`)];
    const svc = serviceChain(spn, protocol);
    const split =
      endpoints.length === 0
        ? "no endpoints: REJECT in the filter table"
        : endpoints.length === 1
          ? `${svc} jumps to its one KUBE-SEP chain`
          : `${svc} picks 1 of ${endpoints.length}: --probability ${endpoints.slice(0, -1).map((_, i) => probability(endpoints.length - i)).join(", ")}, then the last`;
    const detail = `${parts.join("; ")}; ${split}`;
    net.trace.emit({
      seq: 0,
      time: 0,
      kind: "proxy-sync",
      host: node,
      namespace: net.hosts.get(node)!.root.name,
      device: null,
      packetId: null,
      layers: null,
      summary: `kube-proxy resyncs ${spn}: endpoints ${endpoints.join(",") || "<none>"} (${detail})`,
      service: spn,
      endpoints: endpoints.join(",") || "<none>",
      detail,
    });
  }
}

/**
 * Every node's kube-proxy resyncs (after any change kubectl makes, or at start), and so does the
 * node's policy controller, which watches the same pods (network-policy-controller.ts).
 */
export function syncProxies(net: Network, cluster: Cluster): void {
  for (const node of cluster.nodes) {
    const host = net.hosts.get(node);
    if (host === undefined) continue;
    syncNode(host.root, cluster, node);
    reportChanges(net, cluster, node);
  }
  syncPolicies(net, cluster);
}
