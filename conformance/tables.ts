/**
 * The final tables of both sides, as comparable lines per namespace
 * ("host/namespace"): links (name, MTU, up, master, MAC), addresses, the
 * main routing table as `ip route` prints it, neighbours with their NUD
 * state, the bridges' learned FDB entries, iptables (`iptables-save -c`, or
 * `-S` per table where the simulator has no iptables-save) for namespaces
 * with rules, and conntrack with timeouts and ids left out (they count down
 * or are drawn at random). Real ones come from `ip -j`, `bridge -j`,
 * iptables-save and conntrack; simulated ones from the engine's state and
 * the same commands run in it.
 */
import type { Engine } from "../server/engine/index.js";

export type TableName = "link" | "addr" | "route" | "neigh" | "fdb" | "iptables" | "conntrack";
export const TABLE_NAMES: TableName[] = ["link", "addr", "route", "neigh", "fdb", "iptables", "conntrack"];

/** "host/namespace" → table → lines (order kept where the kernel's order means something, else sorted). */
export type Tables = Map<string, Record<TableName, string[]>>;

export const emptyTables = (): Record<TableName, string[]> => ({ link: [], addr: [], route: [], neigh: [], fdb: [], iptables: [], conntrack: [] });

const DEFAULT_POLICY = /^(:\S+ ACCEPT \[\d+:\d+\]|-P \S+ ACCEPT)$/;

/** iptables lines worth comparing: none when only default ACCEPT policies are there. */
export function iptablesLines(text: string): string[] {
  const lines = text.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "" && !l.startsWith("#"));
  const meaningful = lines.filter((l) => !DEFAULT_POLICY.test(l) && !/^\*\S+$/.test(l) && l !== "COMMIT");
  return meaningful.length === 0 ? [] : lines;
}

export function conntrackLines(text: string): string[] {
  return text
    .split("\n")
    .filter((l) => /^(icmp|tcp|udp)\s/.test(l))
    .map((l) =>
      l
        .replace(/^(\S+\s+\d+\s+)\d+\s+/, "$1")
        .replace(/ id=\d+/g, " id=*")
        // The client's side of both tuples (the original's source port, the reply's destination port) is drawn
        // at random: by the client's stack, or by MASQUERADE --random-fully.
        .replace(/ sport=\d+/, " sport=client")
        .replace(/(.*) dport=\d+/, "$1 dport=client")
        .replace(/\s+/g, " ")
        .trim(),
    )
    .sort();
}

export function simulatedTables(engine: Engine): Tables {
  const tables: Tables = new Map();
  for (const host of engine.state().hosts) {
    for (const ns of host.namespaces) {
      const t = emptyTables();
      t.link = ns.interfaces.map((i) => `${i.name} mtu ${i.mtu} ${i.up ? "UP" : "DOWN"}${i.master === null ? "" : ` master ${i.master}`} ${linkAddress(i)}`);
      t.addr = ns.interfaces.flatMap((i) => i.addresses.map((a) => `${i.name} ${a}`));
      const run = (command: string) => engine.run({ host: host.name, namespace: ns.name, command });
      // As Linux's side reads it: `ip route` prints what the state leaves out (linkdown on a carrierless device).
      t.route = run("ip route show table main").output.split("\n").map((l) => l.trim()).filter((l) => l !== "");
      t.neigh = ns.neighbours.map((n) => `${n.ip} dev ${n.dev}${n.mac === null ? "" : ` lladdr ${n.mac}`} ${n.state}`).sort();
      t.fdb = ns.bridges.flatMap((b) => b.fdb.filter((e) => !e.local).map((e) => `${e.mac} dev ${e.port} master ${b.name}`)).sort();
      const save = run("iptables-save -c");
      t.iptables = save.exitCode === 0 ? iptablesLines(save.output) : iptablesLines(["filter", "nat"].map((table) => run(`iptables -t ${table} -S`).output).join("\n"));
      t.conntrack = conntrackLines(run("conntrack -L").output);
      tables.set(`${host.name}/${ns.name}`, t);
    }
  }
  return tables;
}

/**
 * A device's link-layer address as `ip -j link` gives it: an IPIP device's is its tunnel's 4-byte local
 * address, printed as IPv4 (0.0.0.0 on the fallback tunl0, as `link/ipip 0.0.0.0` in `ip link`).
 */
function linkAddress(i: { kind: string; mac: string }): string {
  return i.kind === "ipip" ? "0.0.0.0" : i.mac;
}

interface IpLink {
  ifname: string;
  mtu: number;
  flags: string[];
  master?: string;
  address?: string;
}
interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}
interface IpNeigh {
  dst: string;
  dev: string;
  lladdr?: string;
  state?: string[];
}
interface FdbEntry {
  mac: string;
  ifname: string;
  master?: string;
  state?: string;
  flags?: string[];
}

/** One namespace's tables from the JSON and text the real tools printed. */
export function linuxTables(dump: { link: string; addr: string; route: string; neigh: string; fdb: string; iptables: string; conntrack: string }): Record<TableName, string[]> {
  const t = emptyTables();
  const links = JSON.parse(dump.link || "[]") as IpLink[];
  t.link = links.map((l) => `${l.ifname} mtu ${l.mtu} ${l.flags.includes("UP") ? "UP" : "DOWN"}${l.master === undefined ? "" : ` master ${l.master}`} ${l.address ?? "00:00:00:00:00:00"}`);
  t.addr = (JSON.parse(dump.addr || "[]") as IpAddr[]).flatMap((a) => a.addr_info.filter((i) => i.family === "inet").map((i) => `${a.ifname} ${i.local}/${i.prefixlen}`));
  t.route = dump.route.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  t.neigh = (JSON.parse(dump.neigh || "[]") as IpNeigh[]).map((n) => `${n.dst} dev ${n.dev}${n.lladdr === undefined ? "" : ` lladdr ${n.lladdr}`} ${(n.state ?? []).join(",")}`).sort();
  t.fdb = (JSON.parse(dump.fdb || "[]") as FdbEntry[])
    .filter((e) => e.master !== undefined && e.state !== "permanent" && e.state !== "static")
    .map((e) => `${e.mac} dev ${e.ifname} master ${e.master}`)
    .sort();
  t.iptables = iptablesLines(dump.iptables);
  t.conntrack = conntrackLines(dump.conntrack);
  return t;
}
