/**
 * The kernel tables shown beside the diagram, per namespace: routes,
 * neighbours with their NUD state, each bridge's FDB, sockets, interfaces,
 * and conntrack and iptables counters when the state API has them. Rows are
 * keyed by what identifies them in the kernel (a route by table and
 * destination, a neighbour by address and device, an FDB entry by MAC), so
 * that after a command the rows that are new or changed can be highlighted.
 *
 * Pure: /state in, rows out.
 */
import type { StateNamespace } from "../api/types.js";

export interface Row {
  key: string;
  cells: string[];
}

export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: Row[];
  /** Why the table is empty when the state does not hold it at all. */
  missing?: string;
}

export function kernelTables(ns: StateNamespace): Table[] {
  const tables: Table[] = [
    {
      id: "routes",
      title: "ip route",
      columns: ["table", "route"],
      // The local table is the kernel's own bookkeeping; main and the others are what a student reads.
      rows: ns.routes.filter((r) => r.table !== "local").map((r) => ({ key: `${r.table} ${r.dst} ${r.via ?? ""} ${r.dev ?? ""}`, cells: [r.table, r.text] })),
    },
    {
      id: "neighbours",
      title: "ip neigh",
      columns: ["address", "dev", "lladdr", "state"],
      rows: ns.neighbours.map((n) => ({ key: `${n.ip} ${n.dev}`, cells: [n.ip, n.dev, n.mac ?? "", n.state] })),
    },
  ];
  for (const bridge of ns.bridges) {
    tables.push({
      id: `fdb-${bridge.name}`,
      title: `bridge fdb ${bridge.name}`,
      columns: ["mac", "port", "", "age"],
      rows: bridge.fdb.map((e) => ({ key: `${e.mac} ${e.port}`, cells: [e.mac, e.port, e.local ? "permanent" : "learned", e.local ? "" : `${e.ageSeconds.toFixed(2)} s`] })),
    });
  }
  tables.push({
    id: "conntrack",
    title: "conntrack -L",
    columns: ["flow"],
    rows: (ns.conntrack ?? []).map((c, i) => ({ key: String(c.orig ?? i), cells: [Object.values(c).map(String).join(" ")] })),
    ...(ns.conntrack === undefined ? { missing: "not in /state yet: run conntrack -L" } : {}),
  });
  tables.push({
    id: "iptables",
    title: "iptables counters",
    columns: ["table", "chain", "rule", "pkts", "bytes"],
    rows: (ns.iptables ?? []).map((r, i) => ({ key: `${String(r.table)} ${String(r.chain)} ${String(r.rule ?? i)}`, cells: [r.table, r.chain, r.rule, r.packets, r.bytes].map((v) => String(v ?? "")) })),
    ...(ns.iptables === undefined ? { missing: "not in /state yet: run iptables -L -v" } : {}),
  });
  tables.push({
    id: "sockets",
    title: "ss",
    columns: ["proto", "state", "local", "remote", "process"],
    rows: ns.sockets.map((s) => {
      const cells = [s.protocol ?? s.proto, s.state, s.local, s.remote, s.process].map((v) => String(v ?? ""));
      return { key: cells.slice(0, 4).join(" "), cells };
    }),
  });
  tables.push({
    id: "links",
    title: "ip addr",
    columns: ["dev", "kind", "state", "addresses", "master", "rx/tx pkts"],
    rows: ns.interfaces.map((d) => ({
      key: d.name,
      cells: [d.name, d.kind, d.up ? (d.lowerUp ? "UP" : "NO-CARRIER") : "DOWN", d.addresses.join(" "), d.master ?? "", `${d.stats.rxPackets}/${d.stats.txPackets}`],
    })),
  });
  return tables;
}

/**
 * The keys of rows that are new, or whose cells changed, since the previous
 * snapshot of the same table. With no previous snapshot (the first look)
 * nothing is "changed". Ageing columns would make every learned FDB row
 * change on every refresh: `ignore` names columns not compared.
 */
export function changedKeys(previous: Row[] | undefined, next: Row[], ignore: number[] = []): Set<string> {
  const changed = new Set<string>();
  if (previous === undefined) return changed;
  const before = new Map(previous.map((r) => [r.key, r.cells]));
  for (const row of next) {
    const old = before.get(row.key);
    if (old === undefined || row.cells.some((cell, i) => !ignore.includes(i) && cell !== old[i])) changed.add(row.key);
  }
  return changed;
}
