/**
 * Where each device sits in the diagram, computed rather than left to a
 * force layout, so the picture is the same every time and a new device
 * does not shuffle the others: per host, its containers and named
 * namespaces in a row at the top; below them, the host-side veth end of
 * each one straight under its peer; then bridges (under the ports they
 * join), NICs and the rest; underlay segments at the bottom, under the NICs
 * cabled to them. Namespaces and hosts are compound nodes that wrap their
 * devices, so only devices and segments get positions.
 *
 * Pure.
 */
import type { Graph } from "./topology-graph.js";

export const DX = 118;
const ROW_NS = 0;
const ROW_PORTS = 95;
const ROW_HOST = 170;
const ROW_SEGMENT = 250;
const NS_GAP = 40;
const HOST_GAP = 90;

export function layoutGraph(graph: Graph): Map<string, { x: number; y: number }> {
  const pos = new Map<string, { x: number; y: number }>();
  const children = new Map<string, string[]>();
  for (const n of graph.nodes) if (n.parent !== undefined) children.set(n.parent, [...(children.get(n.parent) ?? []), n.id]);
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const peerOf = new Map<string, string>();
  for (const e of graph.edges)
    if (e.kind === "veth") {
      peerOf.set(e.source, e.target);
      peerOf.set(e.target, e.source);
    }
  const portsOf = new Map<string, string[]>();
  for (const e of graph.edges) if (e.kind === "port") portsOf.set(e.target, [...(portsOf.get(e.target) ?? []), e.source]);
  // lo last in its namespace: every namespace has one, and it joins nothing.
  const order = (ids: string[]) => [...ids].sort((a, b) => Number(byId.get(a)!.type === "loopback") - Number(byId.get(b)!.type === "loopback") || byId.get(a)!.label.localeCompare(byId.get(b)!.label));

  let cursor = 0;
  for (const host of graph.nodes.filter((n) => n.kind === "host")) {
    const start = cursor;
    const namespaces = children.get(host.id) ?? [];
    const root = namespaces.find((id) => byId.get(id)!.type === "root");
    const others = namespaces.filter((id) => id !== root).sort((a, b) => byId.get(a)!.label.localeCompare(byId.get(b)!.label));
    let x = start;
    for (const ns of others) {
      for (const dev of order(children.get(ns) ?? [])) {
        pos.set(dev, { x, y: ROW_NS });
        x += DX;
      }
      x += NS_GAP;
    }
    let maxX = x - NS_GAP - DX;
    if (root !== undefined) {
      const rootDevices = order(children.get(root) ?? []);
      // Row 2: host ends of veth pairs whose other end is in the top row.
      const placed = new Set<string>();
      for (const dev of rootDevices) {
        const peer = peerOf.get(dev);
        const at = peer === undefined ? undefined : pos.get(peer);
        if (at !== undefined && at.y === ROW_NS) {
          pos.set(dev, { x: at.x, y: ROW_PORTS });
          placed.add(dev);
        }
      }
      // Row 3: bridges under their ports, then the rest.
      const rest = rootDevices.filter((d) => !placed.has(d));
      const wanted = (d: string) => {
        const xs = (portsOf.get(d) ?? []).map((p) => pos.get(p)?.x).filter((v): v is number => v !== undefined);
        return xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length;
      };
      const bridges = rest.filter((d) => !Number.isNaN(wanted(d))).sort((a, b) => wanted(a) - wanted(b));
      const plain = rest.filter((d) => Number.isNaN(wanted(d)));
      let rowX = start;
      const taken: number[] = [];
      for (const b of bridges) {
        const bx = Math.max(wanted(b), rowX);
        pos.set(b, { x: bx, y: ROW_HOST });
        taken.push(bx);
        rowX = bx + DX;
      }
      let px = start;
      for (const d of plain) {
        while (taken.some((t) => Math.abs(t - px) < DX)) px += DX;
        // Veth ends whose peer is elsewhere in root (ip link add … type veth on the host) sit in the ports row.
        const y = peerOf.has(d) && byId.get(d)!.type === "veth" ? ROW_PORTS : ROW_HOST;
        pos.set(d, { x: px, y });
        taken.push(px);
        px += DX;
      }
      for (const p of pos.values()) if (p.x > maxX) maxX = p.x;
    }
    cursor = Math.max(maxX, start) + DX + HOST_GAP;
  }
  for (const seg of graph.nodes.filter((n) => n.kind === "segment")) {
    const xs = graph.edges.filter((e) => e.kind === "segment" && e.target === seg.id).map((e) => pos.get(e.source)?.x).filter((v): v is number => v !== undefined);
    pos.set(seg.id, { x: xs.length === 0 ? 0 : (Math.min(...xs) + Math.max(...xs)) / 2, y: ROW_SEGMENT });
  }
  return pos;
}
