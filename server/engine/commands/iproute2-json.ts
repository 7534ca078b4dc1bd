/**
 * `ip -j` / `bridge -j` (and -p, pretty): the same listings as JSON, with the
 * keys in the order iproute2 6.1 writes them. They are built from the text
 * the plain listing prints, so the two can never disagree: one formatter per
 * object, and this module only re-reads its lines (header, link line,
 * address lines; route, neighbour, FDB and bridge-port lines).
 *
 * The writer follows lib/json_writer.c: compact without -p; with -p, four
 * spaces per level, `[ ` … ` ]` around arrays, `},{` between objects.
 */
import type { CommandContext, ExitStatus } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };
type JsonObject = Record<string, JsonValue>;

/** json_writer.c's output, compact or pretty. */
export function writeJson(value: JsonValue, pretty: boolean): string {
  let out = "";
  let depth = 0;
  let sep = "";
  const eol = () => {
    if (pretty) out += "\n" + "    ".repeat(depth);
  };
  const eor = () => {
    out += sep;
    sep = ",";
  };
  const write = (v: JsonValue): void => {
    if (v === null || typeof v !== "object") {
      eor();
      out += typeof v === "string" ? JSON.stringify(v) : v === null ? "null" : String(v);
      return;
    }
    if (Array.isArray(v)) {
      eor();
      out += "[";
      depth++;
      sep = "";
      if (pretty) out += " ";
      for (const item of v) write(item);
      if (pretty && sep !== "") out += " ";
      depth--;
      out += "]";
      sep = ",";
      return;
    }
    eor();
    out += "{";
    depth++;
    sep = "";
    for (const [k, item] of Object.entries(v as JsonObject)) {
      eor();
      eol();
      sep = "";
      out += JSON.stringify(k) + (pretty ? ": " : ":");
      write(item);
    }
    depth--;
    if (sep !== "") eol();
    out += "}";
    sep = ",";
  };
  write(value);
  return out;
}

const FOREVER = 4294967295;

/** Which listing the text came from. */
export type Iproute2Listing = "link" | "address" | "route" | "neigh" | "bridge-fdb" | "bridge-link";

/** The JSON for a listing's text lines; the lines of a failed command are not given here. */
export function listingToJson(kind: Iproute2Listing, lines: readonly string[]): JsonValue[] {
  switch (kind) {
    case "link":
      return devices(lines, false);
    case "address":
      return devices(lines, true);
    case "route":
      return lines.map(route);
    case "neigh":
      return lines.map(neigh);
    case "bridge-fdb":
      return lines.map(fdb);
    case "bridge-link":
      return lines.map(bridgePort);
  }
}

/** Splits "key value key value flag" words, as iproute2 prints them. */
function words(line: string): string[] {
  return line.trim().split(/\s+/).filter((w) => w !== "");
}

const HEADER = /^(\d+): ([^:@\s]+)(?:@([^:\s]+))?: <([^>]*)> (.*)$/;

function devices(lines: readonly string[], withAddresses: boolean): JsonValue[] {
  const result: JsonObject[] = [];
  let current: JsonObject | null = null;
  let addrInfo: JsonObject[] = [];
  const flush = () => {
    if (current === null) return;
    if (withAddresses) current.addr_info = addrInfo;
    result.push(current);
  };
  for (const line of lines) {
    const h = HEADER.exec(line);
    if (h !== null) {
      flush();
      addrInfo = [];
      current = {};
      current.ifindex = Number(h[1]);
      const peer = h[3];
      if (peer !== undefined) {
        if (peer.startsWith("if") && /^if\d+$/.test(peer)) current.link_index = Number(peer.slice(2));
        else if (peer !== "NONE") current.link = peer;
      }
      current.ifname = h[2]!;
      current.flags = h[4]!.split(",").filter((f) => f !== "");
      const w = words(h[5]!);
      for (let i = 0; i < w.length; i++) {
        const k = w[i]!;
        const v = w[i + 1] ?? "";
        if (k === "mtu") current.mtu = Number(v);
        else if (k === "qdisc") current.qdisc = v;
        else if (k === "master") current.master = v;
        else if (k === "state") current.operstate = v;
        else if (k === "mode") current.linkmode = v;
        else if (k === "group") current.group = v;
        else if (k === "qlen") current.txqlen = Number(v);
        else continue;
        i++;
      }
      continue;
    }
    if (current === null) continue;
    const w = words(line);
    const first = w[0] ?? "";
    if (first.startsWith("link/")) {
      current.link_type = first.slice(5);
      let i = 1;
      if (w[1] !== undefined && !["brd", "link-netnsid", "link-netns", "promiscuity"].includes(w[1])) {
        current.address = w[1];
        i = 2;
      }
      for (; i < w.length; i += 2) {
        if (w[i] === "brd") current.broadcast = w[i + 1]!;
        else if (w[i] === "link-netnsid") current.link_netnsid = Number(w[i + 1]);
        else if (w[i] === "link-netns") current.link_netns = w[i + 1]!;
        else detailAttribute(current, w[i]!, w[i + 1]!);
      }
    } else if (w[1] === "addrgenmode" && !withAddresses) {
      // -d's kind line of a kind with no IFLA_INFO_DATA (veth, dummy): linkinfo holds the kind alone.
      current.linkinfo = { info_kind: first };
      for (let i = 1; i < w.length; i += 2) detailAttribute(current, w[i]!, w[i + 1]!);
    } else if (first !== "inet" && first !== "inet6" && !withAddresses) {
      notSimulated(`ip -json -details (${first})`);
    } else if (first === "inet" || first === "inet6") {
      const [local, prefix] = (w[1] ?? "").split("/");
      const a: JsonObject = { family: first, local: local!, prefixlen: Number(prefix ?? (first === "inet" ? 32 : 128)) };
      for (let i = 2; i < w.length; i++) {
        if (w[i] === "brd") a.broadcast = w[++i]!;
        else if (w[i] === "scope") a.scope = w[++i]!;
        else if (w[i] === "dynamic" || w[i] === "noprefixroute" || w[i] === "secondary") a[w[i]!] = true;
        else if (first === "inet" && i === w.length - 1) a.label = w[i]!;
      }
      a.valid_life_time = FOREVER;
      a.preferred_life_time = FOREVER;
      addrInfo.push(a);
    }
  }
  flush();
  return result;
}

/** print_link_stats' neighbours under -d: the generic attributes, numbers but for addrgenmode. */
const DETAIL_KEYS: Readonly<Record<string, string>> = {
  promiscuity: "promiscuity",
  allmulti: "allmulti",
  minmtu: "min_mtu",
  maxmtu: "max_mtu",
  addrgenmode: "inet6_addr_gen_mode",
  numtxqueues: "num_tx_queues",
  numrxqueues: "num_rx_queues",
  gso_max_size: "gso_max_size",
  gso_max_segs: "gso_max_segs",
  tso_max_size: "tso_max_size",
  tso_max_segs: "tso_max_segs",
  gro_max_size: "gro_max_size",
};

function detailAttribute(o: JsonObject, key: string, value: string): void {
  const name = DETAIL_KEYS[key];
  if (name === undefined) notSimulated(`ip -json -details (${key})`);
  o[name] = key === "addrgenmode" ? value : Number(value);
}

const ROUTE_TYPES = new Set(["local", "broadcast", "unreachable", "prohibit", "blackhole", "throw", "multicast", "anycast", "nat"]);

function route(line: string): JsonValue {
  const w = words(line);
  const r: JsonObject = {};
  let i = 0;
  if (ROUTE_TYPES.has(w[0]!)) r.type = w[i++]!;
  r.dst = w[i++]!;
  const flags: string[] = [];
  for (; i < w.length; i++) {
    const k = w[i]!;
    const v = w[i + 1];
    if (k === "via") r.gateway = v!;
    else if (k === "dev") r.dev = v!;
    else if (k === "table") r.table = v!;
    else if (k === "proto") r.protocol = v!;
    else if (k === "scope") r.scope = v!;
    else if (k === "src") r.prefsrc = v!;
    else if (k === "metric") r.metric = Number(v);
    else if (k === "linkdown" || k === "onlink" || k === "dead") {
      flags.push(k);
      continue;
    } else notSimulated(`ip -json route (${k})`);
    i++;
  }
  // iproute2 writes the gateway before the device, whatever order the words came in.
  const ordered: JsonObject = {};
  for (const key of ["type", "dst", "gateway", "dev", "table", "protocol", "scope", "prefsrc", "metric"]) if (key in r) ordered[key] = r[key]!;
  ordered.flags = flags;
  return ordered;
}

function neigh(line: string): JsonValue {
  const w = words(line);
  const n: JsonObject = { dst: w[0]! };
  const state: string[] = [];
  for (let i = 1; i < w.length; i++) {
    const k = w[i]!;
    if (k === "dev") n.dev = w[++i]!;
    else if (k === "lladdr") n.lladdr = w[++i]!;
    else if (k === "router" || k === "proxy") n[k] = null;
    else if (/^[A-Z]+$/.test(k)) state.push(k);
    else notSimulated(`ip -json neigh (${k})`);
  }
  n.state = state;
  return n;
}

function fdb(line: string): JsonValue {
  const w = words(line);
  const e: JsonObject = { mac: w[0]! };
  const flags: string[] = [];
  let state = "";
  for (let i = 1; i < w.length; i++) {
    const k = w[i]!;
    if (k === "dev") e.ifname = w[++i]!;
    else if (k === "vlan") e.vlan = Number(w[++i]);
    else if (k === "dst") e.dst = w[++i]!;
    else if (k === "master") {
      e.flags = flags;
      e.master = w[++i]!;
    } else if (k === "self" || k === "extern_learn" || k === "offload" || k === "sticky") flags.push(k);
    else if (k === "permanent" || k === "static") state = k;
    else notSimulated(`bridge -json fdb (${k})`);
  }
  // iproute2 prints flags before master (and before state when there is no master).
  const ordered: JsonObject = { mac: e.mac! };
  if ("ifname" in e) ordered.ifname = e.ifname!;
  if ("vlan" in e) ordered.vlan = e.vlan!;
  if ("dst" in e) ordered.dst = e.dst!;
  ordered.flags = flags;
  if ("master" in e) ordered.master = e.master!;
  ordered.state = state;
  return ordered;
}

const PORT = /^(\d+): ([^:@\s]+)(?:@([^:\s]+))?: <([^>]*)> (.*)$/;

function bridgePort(line: string): JsonValue {
  const m = PORT.exec(line);
  if (m === null) notSimulated(`bridge -json link (${line.trim()})`);
  const p: JsonObject = { ifindex: Number(m![1]) };
  if (m![3] !== undefined) p.link = m![3];
  p.ifname = m![2]!;
  p.flags = m![4]!.split(",").filter((f) => f !== "");
  const w = words(m![5]!);
  for (let i = 0; i < w.length; i += 2) {
    const k = w[i]!;
    const v = w[i + 1]!;
    if (k === "mtu" || k === "priority" || k === "cost") p[k] = Number(v);
    else if (k === "master" || k === "state") p[k] = v;
  }
  return p;
}

/**
 * Runs a listing into a buffer of its own and prints it as JSON; a command
 * that fails prints its error as it would without -j.
 */
export function printListingAsJson(
  ctx: CommandContext,
  kind: Iproute2Listing,
  pretty: boolean,
  run: (ctx: CommandContext) => ExitStatus,
): ExitStatus {
  const lines: string[] = [];
  const buffered: CommandContext = { net: ctx.net, host: ctx.host, ns: ctx.ns, out: lines, exec: (ns, argv) => ctx.exec(ns, argv) };
  const status = run(buffered);
  if (typeof status !== "number" || status !== 0) {
    ctx.out.push(...lines);
    return status;
  }
  ctx.out.push(writeJson(listingToJson(kind, lines), pretty));
  return 0;
}
