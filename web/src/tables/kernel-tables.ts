/**
 * The kernel tables shown beside the diagram, per namespace: routes,
 * neighbours with their NUD state, each bridge's FDB, conntrack entries,
 * iptables rules with their counters, sockets, interfaces. Rows are keyed by
 * what identifies them in the kernel (a route by table and destination, a
 * neighbour by address and device, an FDB entry by MAC, a flow by its
 * original tuple, a rule by its chain, place and text), so that after a
 * command the rows that are new or changed can be highlighted: a rule whose
 * counters moved is a rule the command's packets matched.
 *
 * Pure: /state in, rows out.
 */
import type { StateNamespace } from "../api/types.js";

type Flow = StateNamespace["conntrack"][number]["orig"];

export interface Row {
  key: string;
  cells: string[];
}

export interface Table {
  id: string;
  title: string;
  columns: string[];
  rows: Row[];
  /** Columns that change on every refresh without anything happening (ages, timeouts): not compared. */
  volatile: number[];
}

export function kernelTables(ns: StateNamespace): Table[] {
  const tables: Table[] = [
    {
      id: "routes",
      title: "ip route",
      columns: ["table", "route"],
      // The local table is the kernel's own bookkeeping; main and the others are what a student reads.
      rows: ns.routes.filter((r) => r.table !== "local").map((r) => ({ key: `${r.table} ${r.dst} ${r.via ?? ""} ${r.dev}`, cells: [r.table, r.text] })),
      volatile: [],
    },
    {
      id: "neighbours",
      title: "ip neigh",
      columns: ["address", "dev", "lladdr", "state"],
      rows: ns.neighbours.map((n) => ({ key: `${n.ip} ${n.dev}`, cells: [n.ip, n.dev, n.mac ?? "", n.state] })),
      volatile: [],
    },
  ];
  for (const bridge of ns.bridges) {
    tables.push({
      id: `fdb-${bridge.name}`,
      title: `bridge fdb ${bridge.name}`,
      columns: ["mac", "port", "", "age"],
      rows: bridge.fdb.map((e) => ({ key: `${e.mac} ${e.port}`, cells: [e.mac, e.port, e.local ? "permanent" : "learned", e.local ? "" : `${e.ageSeconds.toFixed(2)} s`] })),
      volatile: [3],
    });
  }
  tables.push({
    id: "conntrack",
    title: "conntrack -L",
    columns: ["proto", "original", "reply", "state", "timeout"],
    rows: ns.conntrack.map((c) => ({
      key: `${c.protocol} ${flow(c.orig)}`,
      cells: [c.protocol, flow(c.orig), flow(c.reply), [c.state ?? "", c.seenReply ? "" : "UNREPLIED", c.assured ? "ASSURED" : ""].filter(Boolean).join(" "), `${c.secondsLeft} s`],
    })),
    volatile: [4],
  });
  const rules: Row[] = [];
  for (const chain of ns.iptables) {
    // As iptables -S writes them (the chain is in the rule), with iptables -L -v's counters.
    chain.rules.forEach((r, i) => rules.push({ key: `${chain.table} ${chain.chain} ${i} ${r.spec}`, cells: [chain.table, r.spec, String(r.packets), String(r.bytes)] }));
    // A built-in chain's policy is a row when it decides something worth reading: after rules, or when it drops.
    if (chain.policy !== null && (chain.rules.length > 0 || chain.policy.target !== "ACCEPT")) {
      rules.push({ key: `${chain.table} ${chain.chain} policy`, cells: [chain.table, `-P ${chain.chain} ${chain.policy.target}`, String(chain.policy.packets), String(chain.policy.bytes)] });
    }
  }
  tables.push({ id: "iptables", title: "iptables -S, counters of -L -v", columns: ["table", "rule", "pkts", "bytes"], rows: rules, volatile: [] });
  tables.push({
    id: "sockets",
    title: "ss",
    columns: ["proto", "state", "local", "remote", "process"],
    rows: ns.sockets.map((s) => {
      const cells = [s.proto, s.state, s.local, s.remote ?? "", s.process];
      return { key: cells.slice(0, 4).join(" "), cells };
    }),
    volatile: [],
  });
  tables.push({
    id: "links",
    title: "ip addr",
    columns: ["dev", "kind", "state", "addresses", "master", "rx/tx pkts"],
    rows: ns.interfaces.map((d) => ({
      key: d.name,
      cells: [d.name, d.kind, d.up ? (d.lowerUp ? "UP" : "NO-CARRIER") : "DOWN", d.addresses.join(" "), d.master ?? "", `${d.stats.rxPackets}/${d.stats.txPackets}`],
    })),
    volatile: [],
  });
  return tables;
}

/** A flow's tuple as addresses and ports (for ICMP echo, the echo id on both sides). */
function flow(t: Flow): string {
  return `${t.src}:${t.sport} → ${t.dst}:${t.dport}`;
}

/**
 * The keys of rows that are new, or whose cells changed, since the previous
 * snapshot of the same table. With no previous snapshot (the first look)
 * nothing is "changed". Ageing columns would make every learned FDB row
 * change on every refresh: `ignore` names columns not compared (a table's
 * `volatile`).
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
