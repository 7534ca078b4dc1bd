/**
 * The iptables rules the Docker daemon installs on a host with docker0, and
 * those `docker run -p` adds per published port (as in Docker 20–27 with the
 * iptables backend): MASQUERADE for traffic leaving the bridge's subnet, the
 * DOCKER chains that DNAT published ports, and the FORWARD policy DROP with
 * the rules that let the bridge's traffic through. The daemon also sets
 * net.bridge.bridge-nf-call-iptables, so frames bridged between two
 * containers pass these chains too (stack/bridge-netfilter.ts) and meet
 * `-i docker0 -o docker0 -j ACCEPT`.
 */
import { isLimitReached, type LimitReached } from "../object-quota.js";
import type { NetNamespace } from "../stack/namespace.js";
import { emptyRule, sameRule, type Rule, type RuleTarget } from "../stack/netfilter/rule.js";
import type { TableName } from "../stack/netfilter/tables.js";
import { cidrNetwork, ipv4CidrOrThrow, type Ipv4Address } from "../wire/ipv4-address.js";

function rule(target: RuleTarget, fields: Partial<Rule>): Rule {
  return { ...emptyRule(target), ...fields };
}

/** Appends a rule, making its chain when it is missing; the limit when the session has no room (callers check first). */
function append(ns: NetNamespace, table: TableName, chain: string, r: Rule): LimitReached | null {
  const nf = ns.netfilter;
  let c = nf.chain(table, chain);
  if (c === undefined) {
    const made = nf.newChain(table, chain);
    if (isLimitReached(made)) return made;
    c = made;
  }
  return nf.insertRule(c, r);
}

function ensureChain(ns: NetNamespace, table: TableName, chain: string): void {
  if (ns.netfilter.chain(table, chain) === undefined) ns.netfilter.newChain(table, chain);
}

/** Installed while a lab is built, when nothing is refused. */
export function installDockerRules(root: NetNamespace, bridge: string, gateway: number, prefixLength: number): void {
  const subnet = cidrNetwork(ipv4CidrOrThrow(gateway as Ipv4Address, prefixLength));
  root.bridgeNfCallIptables = true;
  const nf = root.netfilter;
  for (const c of ["DOCKER"]) ensureChain(root, "nat", c);
  append(root, "nat", "PREROUTING", rule({ kind: "jump", chain: "DOCKER" }, { dstTypeLocal: true }));
  append(root, "nat", "OUTPUT", rule({ kind: "jump", chain: "DOCKER" }, { dstTypeLocal: true, destination: { address: 0x7f000000, prefixLength: 8, invert: true } }));
  append(root, "nat", "POSTROUTING", rule({ kind: "MASQUERADE" }, { source: { address: subnet, prefixLength, invert: false }, outInterface: { name: bridge, invert: true } }));
  append(root, "nat", "DOCKER", rule({ kind: "RETURN" }, { inInterface: { name: bridge, invert: false } }));

  for (const c of ["DOCKER", "DOCKER-ISOLATION-STAGE-1", "DOCKER-ISOLATION-STAGE-2", "DOCKER-USER"]) ensureChain(root, "filter", c);
  nf.chain("filter", "FORWARD")!.policy = "DROP";
  const out = { name: bridge, invert: false };
  const notOut = { name: bridge, invert: true };
  append(root, "filter", "FORWARD", rule({ kind: "jump", chain: "DOCKER-USER" }, {}));
  append(root, "filter", "FORWARD", rule({ kind: "jump", chain: "DOCKER-ISOLATION-STAGE-1" }, {}));
  append(root, "filter", "FORWARD", rule({ kind: "ACCEPT" }, { outInterface: out, ctstate: ["RELATED", "ESTABLISHED"] }));
  append(root, "filter", "FORWARD", rule({ kind: "jump", chain: "DOCKER" }, { outInterface: out }));
  append(root, "filter", "FORWARD", rule({ kind: "ACCEPT" }, { inInterface: { name: bridge, invert: false }, outInterface: notOut }));
  append(root, "filter", "FORWARD", rule({ kind: "ACCEPT" }, { inInterface: { name: bridge, invert: false }, outInterface: out }));
  append(root, "filter", "DOCKER-ISOLATION-STAGE-1", rule({ kind: "jump", chain: "DOCKER-ISOLATION-STAGE-2" }, { inInterface: { name: bridge, invert: false }, outInterface: notOut }));
  append(root, "filter", "DOCKER-ISOLATION-STAGE-1", rule({ kind: "RETURN" }, {}));
  append(root, "filter", "DOCKER-ISOLATION-STAGE-2", rule({ kind: "DROP" }, { outInterface: out }));
  append(root, "filter", "DOCKER-ISOLATION-STAGE-2", rule({ kind: "RETURN" }, {}));
  append(root, "filter", "DOCKER-USER", rule({ kind: "RETURN" }, {}));
}

export interface PublishedPort {
  hostPort: number;
  containerPort: number;
  protocol: 6 | 17;
  address: number;
}

function publishRules(bridge: string, p: PublishedPort): [TableName, string, Rule][] {
  const host32 = { address: p.address, prefixLength: 32, invert: false };
  return [
    ["nat", "POSTROUTING", rule({ kind: "MASQUERADE" }, { source: host32, destination: host32, protocol: p.protocol, dport: p.containerPort })],
    ["nat", "DOCKER", rule({ kind: "DNAT", address: p.address, port: p.containerPort }, { inInterface: { name: bridge, invert: true }, protocol: p.protocol, dport: p.hostPort })],
    ["filter", "DOCKER", rule({ kind: "ACCEPT" }, { destination: host32, inInterface: { name: bridge, invert: true }, outInterface: { name: bridge, invert: false }, protocol: p.protocol, dport: p.containerPort })],
  ];
}

/** The rules and chains publishing these ports adds (the rules, and any chain of theirs someone deleted). */
export function publishNeeds(root: NetNamespace, bridge: string, ports: PublishedPort[]): number {
  const missing = new Set<string>();
  let n = 0;
  for (const p of ports) {
    for (const [table, chain] of publishRules(bridge, p)) {
      n++;
      if (root.netfilter.chain(table, chain) === undefined) missing.add(`${table}/${chain}`);
    }
  }
  return n + missing.size;
}

/** Adds a published port's rules; the caller has checked publishNeeds against the session's limit. */
export function publishPort(root: NetNamespace, bridge: string, p: PublishedPort): void {
  for (const [table, chain, r] of publishRules(bridge, p)) append(root, table, chain, r);
}

export function unpublishPort(root: NetNamespace, bridge: string, p: PublishedPort): void {
  for (const [table, chain, r] of publishRules(bridge, p)) {
    const c = root.netfilter.chain(table, chain);
    if (c === undefined) continue;
    const i = c.rules.findIndex((x) => sameRule(x, r));
    if (i >= 0) root.netfilter.deleteRule(c, i);
  }
}
