/**
 * The session's network as a graph for the diagram: hosts contain namespaces
 * contain devices (cytoscape's compound nodes), edges for what joins devices:
 * a veth end to its peer, a bridge port to its bridge, a NIC to its underlay
 * segment. Built from GET /state (the network as it is now) and the lab's
 * topology (which segment each NIC is cabled to, which /state does not say).
 *
 * Also which nodes and edges a trace event lights: the device it happened on
 * and the links the frame crosses at that step.
 *
 * Pure: ids and data only; topology-view.ts hands them to cytoscape.
 */
import type { NetworkState, TopologyHost } from "../api/types.js";
import type { TraceEvent } from "../trace/trace-event.js";

export type NodeKind = "host" | "namespace" | "device" | "segment";
export type EdgeKind = "veth" | "port" | "segment";

export interface GraphNode {
  id: string;
  parent?: string;
  label: string;
  kind: NodeKind;
  /** For devices: loopback, nic, veth, bridge, vxlan, tun, ipip …; for namespaces: root, container, netns. */
  type: string;
  /** Shown on hover: addresses, MAC, MTU, state. */
  tooltip: string;
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  kind: EdgeKind;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const hostId = (host: string) => `h:${host}`;
export const namespaceId = (host: string, ns: string) => `n:${host}/${ns}`;
export const deviceId = (host: string, ns: string, device: string) => `d:${host}/${ns}/${device}`;
export const segmentId = (segment: string) => `s:${segment}`;

export function buildGraph(state: NetworkState, topology: { hosts: TopologyHost[] } | null): Graph {
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  const seen = new Set<string>();
  const segmentOf = new Map<string, string>();
  for (const host of topology?.hosts ?? []) for (const nic of host.nics ?? []) if (nic.segment) segmentOf.set(`${host.name}/${nic.name}`, nic.segment);

  const segments = new Set(segmentOf.values());
  for (const segment of [...segments].sort()) nodes.push({ id: segmentId(segment), label: segment, kind: "segment", type: "segment", tooltip: `segment ${segment}` });

  for (const host of state.hosts) {
    nodes.push({ id: hostId(host.name), label: host.name, kind: "host", type: "host", tooltip: `host ${host.name}` });
    const containers = new Map(host.containers.map((c) => [c.namespace, c]));
    for (const ns of host.namespaces) {
      const container = containers.get(ns.name);
      const type = ns.name === "root" ? "root" : container !== undefined ? "container" : "netns";
      const label = ns.name === "root" ? `${host.name} (root)` : ns.name;
      const tooltip = container !== undefined ? `container ${container.name} (${container.image})${container.running ? "" : ", stopped"}` : `namespace ${ns.name}${ns.forwarding ? ", ip_forward=1" : ""}`;
      nodes.push({ id: namespaceId(host.name, ns.name), parent: hostId(host.name), label, kind: "namespace", type, tooltip });
      for (const dev of ns.interfaces) {
        const id = deviceId(host.name, ns.name, dev.name);
        const addresses = dev.addresses.length > 0 ? dev.addresses.join(", ") : "no address";
        nodes.push({
          id,
          parent: namespaceId(host.name, ns.name),
          label: dev.name,
          kind: "device",
          type: dev.kind,
          tooltip: `${dev.name} (${dev.kind}) ${addresses}\nMAC ${dev.mac}, MTU ${dev.mtu}, ${dev.up ? (dev.lowerUp ? "UP" : "UP, NO-CARRIER") : "DOWN"}${dev.master ? `\nmaster ${dev.master}` : ""}`,
        });
        if (dev.peer !== null) {
          const peer = deviceId(host.name, dev.peer.namespace, dev.peer.name);
          const edgeId = `veth:${[id, peer].sort().join("|")}`;
          if (!seen.has(edgeId)) {
            seen.add(edgeId);
            edges.push({ id: edgeId, source: id, target: peer, kind: "veth" });
          }
        }
        if (dev.master !== null) edges.push({ id: portEdgeId(host.name, ns.name, dev.name), source: id, target: deviceId(host.name, ns.name, dev.master), kind: "port" });
        const segment = ns.name === "root" ? segmentOf.get(`${host.name}/${dev.name}`) : undefined;
        if (segment !== undefined) edges.push({ id: `seg:${id}`, source: id, target: segmentId(segment), kind: "segment" });
      }
    }
  }
  // A veth whose peer is not in the state (moved into a namespace being deleted) would be an edge to nowhere.
  const ids = new Set(nodes.map((n) => n.id));
  return { nodes, edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)) };
}

function portEdgeId(host: string, ns: string, port: string): string {
  return `port:${deviceId(host, ns, port)}`;
}

/** What the diagram lights for an event: the device it is about, and the links its frame crosses at that step. */
export function lightsFor(event: TraceEvent, graph: Graph): { nodes: string[]; edges: string[] } {
  const nodes = new Set<string>();
  const edges = new Set<string>();
  const edgeIds = new Set(graph.edges.map((e) => e.id));
  const addEdge = (id: string) => {
    if (edgeIds.has(id)) edges.add(id);
  };
  const ns = event.namespace;
  if (event.device !== null) nodes.add(deviceId(event.host, ns, event.device));
  else nodes.add(namespaceId(event.host, ns));
  switch (event.kind) {
    case "frame-tx":
    case "frame-rx": {
      // The cable the frame is on: the veth pair, or the NIC's segment.
      const self = deviceId(event.host, ns, event.device ?? "");
      for (const e of graph.edges) if ((e.kind === "veth" || e.kind === "segment") && (e.source === self || e.target === self)) edges.add(e.id);
      break;
    }
    case "bridge-flood": {
      addEdge(portEdgeId(event.host, ns, event.ingress));
      for (const port of event.egress) {
        addEdge(portEdgeId(event.host, ns, port));
        nodes.add(deviceId(event.host, ns, port));
      }
      break;
    }
    case "bridge-forward":
      addEdge(portEdgeId(event.host, ns, event.ingress));
      addEdge(portEdgeId(event.host, ns, event.egress));
      nodes.add(deviceId(event.host, ns, event.egress));
      break;
    case "bridge-learn":
    case "fdb-age-out":
      addEdge(portEdgeId(event.host, ns, event.port));
      break;
    case "bridge-local":
      addEdge(portEdgeId(event.host, ns, event.ingress));
      break;
    default:
      break;
  }
  const ids = new Set(graph.nodes.map((n) => n.id));
  return { nodes: [...nodes].filter((id) => ids.has(id)), edges: [...edges] };
}
