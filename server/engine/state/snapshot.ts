/**
 * A JSON view of a network's state for the API and for graders: per host and
 * namespace, the interfaces, addresses, routes, neighbours, bridge FDBs,
 * sockets and containers. Read-only: building it changes nothing.
 */
import { Bridge } from "../link/bridge.js";
import { Veth } from "../link/veth.js";
import { formatRoute } from "../stack/route-table.js";
import type { Network } from "../topology/network.js";
import { formatIpv4 } from "../wire/ipv4-address.js";

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
}

export interface NetworkState {
  time: number;
  hosts: {
    name: string;
    namespaces: NamespaceState[];
    containers: { id: string; name: string; image: string; network: string; namespace: string; running: boolean; address: string | null }[];
  }[];
}

export function snapshotNetwork(net: Network): NetworkState {
  const now = net.scheduler.now;
  return {
    time: now,
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
