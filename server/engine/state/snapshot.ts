/**
 * A JSON view of a network's state for the API and for graders: per host and
 * namespace, the interfaces, addresses, routes, neighbours, bridge FDBs,
 * sockets, conntrack entries and iptables chains with their counters, and
 * the containers. Read-only: building it changes nothing (expired conntrack
 * entries are left out, not removed, as conntrack -L does).
 */
import { Bridge } from "../link/bridge.js";
import { Veth } from "../link/veth.js";
import type { ConntrackEntry, Tuple } from "../stack/netfilter/conntrack.js";
import { conntrackLine, conntrackSecondsLeft } from "../stack/netfilter/conntrack-text.js";
import { protocolName, ruleSpec } from "../stack/netfilter/rule-text.js";
import { orderedChains, type Netfilter, type Policy, type TableName } from "../stack/netfilter/tables.js";
import { formatRoute } from "../stack/route-table.js";
import type { Network } from "../topology/network.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { cniPaths } from "../kube/cni-files.js";

export interface InterfaceState {
  ifindex: number;
  name: string;
  kind: string;
  mac: string;
  mtu: number;
  up: boolean;
  lowerUp: boolean;
  master: string | null;
  peer: { namespace: string; name: string } | null;
  addresses: string[];
  stats: { rxPackets: number; rxBytes: number; txPackets: number; txBytes: number };
}

export interface NamespaceState {
  name: string;
  forwarding: boolean;
  interfaces: InterfaceState[];
  routes: { table: string; text: string; dst: string; via: string | null; dev: string }[];
  neighbours: { ip: string; dev: string; mac: string | null; state: string }[];
  bridges: { name: string; fdb: { mac: string; port: string; local: boolean; ageSeconds: number }[] }[];
  sockets: { proto: "tcp" | "udp"; state: string; local: string; remote: string | null; process: string }[];
  /** Tracked flows, newest first, as conntrack -L lists them. */
  conntrack: ConntrackState[];
  /** The nat and filter tables' chains in iptables -L order, with each rule's counters. */
  iptables: ChainState[];
}

export interface FlowTuple {
  src: string;
  dst: string;
  /** TCP/UDP ports; for ICMP echo both are the echo id. */
  sport: number;
  dport: number;
}

export interface ConntrackState {
  /** "icmp", "tcp" or "udp". */
  protocol: string;
  orig: FlowTuple;
  reply: FlowTuple;
  /** The TCP state (ESTABLISHED, TIME_WAIT …); null for UDP and ICMP. */
  state: string | null;
  seenReply: boolean;
  assured: boolean;
  secondsLeft: number;
  /** The conntrack -L line. */
  text: string;
}

export interface ChainState {
  table: TableName;
  chain: string;
  /** A built-in chain's policy and the packets and bytes it decided; null for a user chain. */
  policy: { target: Policy; packets: number; bytes: number } | null;
  /** In order: the rule as iptables -S writes it, and how many packets and bytes matched it. */
  rules: { spec: string; packets: number; bytes: number }[];
}

/** A Kubernetes object's name and namespace. */
export interface KubeObjectRef {
  namespace: string;
  name: string;
}

/** The cluster's objects by name (what kubectl completes), and which nodes and pods have the files cat and ls show. */
export interface KubernetesState {
  namespaces: string[];
  pods: { namespace: string; name: string; node: string; netns: string }[];
  services: KubeObjectRef[];
  deployments: KubeObjectRef[];
  networkPolicies: KubeObjectRef[];
  /** Per node whose CNI chain attaches pods, the paths of its chain's files (/etc/cni/net.d, /opt/cni/bin, /run/flannel, host-local's store), directories ending in "/". */
  cniFiles: { node: string; paths: string[] }[];
  /** Whether pods get the cluster's /etc/resolv.conf. */
  dns: boolean;
}

export interface NetworkState {
  time: number;
  kubernetes: KubernetesState | null;
  hosts: {
    name: string;
    namespaces: NamespaceState[];
    containers: { id: string; name: string; image: string; network: string; namespace: string; running: boolean; address: string | null }[];
  }[];
}

function kubernetesState(net: Network): KubernetesState | null {
  const k = net.kube;
  if (k === null) return null;
  const byName = (a: KubeObjectRef, b: KubeObjectRef) => (a.namespace === b.namespace ? (a.name < b.name ? -1 : 1) : a.namespace < b.namespace ? -1 : 1);
  const ref = (o: KubeObjectRef): KubeObjectRef => ({ namespace: o.namespace, name: o.name });
  const pods = [...k.pods.values()].map((p) => ({ namespace: p.namespace, name: p.name, node: p.node, netns: p.netns })).sort(byName);
  const services = [...k.services.values()].map(ref).sort(byName);
  const deployments = [...k.deployments.values()].map(ref).sort(byName);
  const networkPolicies = [...k.networkPolicies.values()].map(ref).sort(byName);
  const namespaces = [...new Set(["default", ...k.namespaceLabels.keys(), ...[...pods, ...services, ...deployments, ...networkPolicies].map((o) => o.namespace)])].sort();
  const cniFiles = k.nodes.flatMap((node) => {
    const cni = k.cni.get(node);
    return cni === undefined ? [] : [{ node, paths: cniPaths(cni.ipam) }];
  });
  return { namespaces, pods, services, deployments, networkPolicies, cniFiles, dns: k.dns !== null };
}

export function snapshotNetwork(net: Network): NetworkState {
  const now = net.scheduler.now;
  return {
    time: now,
    kubernetes: kubernetesState(net),
    hosts: [...net.hosts.values()].map((h) => ({
      name: h.name,
      namespaces: [...h.namespaces.values()].map((ns) => ({
        name: ns.name,
        forwarding: ns.forwarding,
        interfaces: ns.deviceList().map((d) => ({
          ifindex: d.ifindex,
          name: d.name,
          kind: d.kind,
          mac: d.mac,
          mtu: d.mtu,
          up: d.adminUp,
          lowerUp: d.operUp,
          master: d.master?.name ?? null,
          peer: d instanceof Veth && d.peer !== null ? { namespace: d.peer.ns.name, name: d.peer.name } : null,
          addresses: d.addresses.map((a) => `${formatIpv4(a.address)}/${a.prefixLength}`),
          stats: { rxPackets: d.stats.rxPackets, rxBytes: d.stats.rxBytes, txPackets: d.stats.txPackets, txBytes: d.stats.txBytes },
        })),
        routes: ns.routes.routes.map((r) => ({ table: r.table, text: formatRoute(r), dst: `${formatIpv4(r.dst)}/${r.prefixLength}`, via: r.via === null ? null : formatIpv4(r.via), dev: r.dev })),
        neighbours: ns.neigh.list().filter((e) => e.state !== "NONE").map((e) => ({ ip: formatIpv4(e.ip), dev: e.dev, mac: e.mac, state: e.state })),
        bridges: ns
          .deviceList()
          .filter((d): d is Bridge => d instanceof Bridge)
          .map((b) => ({
            name: b.name,
            fdb: b.fdb
              .list()
              .filter((e) => e.local || now - e.updated < b.ageingTime)
              .map((e) => ({ mac: e.mac, port: e.port, local: e.local, ageSeconds: e.local ? 0 : (now - e.updated) / 1_000_000 })),
          })),
        sockets: [
          ...ns.sockets.tcpListeners.map((l) => ({ proto: "tcp" as const, state: "LISTEN", local: `${formatIpv4(l.address)}:${l.port}`, remote: null, process: l.process })),
          ...ns.sockets.tcpConnections.map((c) => ({ proto: "tcp" as const, state: c.state, local: `${formatIpv4(c.local)}:${c.localPort}`, remote: `${formatIpv4(c.remote)}:${c.remotePort}`, process: c.process })),
          ...ns.sockets.udp.map((u) => ({ proto: "udp" as const, state: "UNCONN", local: `${formatIpv4(u.address)}:${u.port}`, remote: null, process: u.process })),
        ],
        conntrack: ns.conntrack.list(now).map((e) => conntrackState(e, now)),
        iptables: iptablesState(ns.netfilter),
      })),
      containers: [...h.containers.values()].map((c) => ({
        id: c.id,
        name: c.name,
        image: c.image,
        network: c.network,
        namespace: c.namespace,
        running: c.running,
        address: c.address === null ? null : formatIpv4(c.address),
      })),
    })),
  };
}

const flowTuple = (t: Tuple): FlowTuple => ({ src: formatIpv4(t.src), dst: formatIpv4(t.dst), sport: t.sport, dport: t.dport });

function conntrackState(e: ConntrackEntry, now: number): ConntrackState {
  return {
    protocol: protocolName(e.protocol),
    orig: flowTuple(e.orig),
    reply: flowTuple(e.reply),
    state: e.tcpState,
    seenReply: e.seenReply,
    assured: e.assured,
    secondsLeft: conntrackSecondsLeft(e, now),
    text: conntrackLine(e, now),
  };
}

function iptablesState(nf: Netfilter): ChainState[] {
  return (["filter", "nat"] as const).flatMap((table) =>
    orderedChains(nf, table).map((c) => ({
      table,
      chain: c.name,
      policy: c.builtin ? { target: c.policy, packets: c.policyPackets, bytes: c.policyBytes } : null,
      rules: c.rules.map((r) => ({ spec: ruleSpec(c.name, r), packets: r.packets, bytes: r.bytes })),
    })),
  );
}
