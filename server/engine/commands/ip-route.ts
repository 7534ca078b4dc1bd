/**
 * `ip route`: list the main/local tables, ask which route a destination takes
 * (`get`, for a local socket or, with `from … iif …`, for a forwarded
 * packet), and add, change, replace, delete or flush IPv4 routes, with the
 * kernel's validation of prefixes, devices and gateways.
 *
 * Routes are printed with the engine's formatRoute (the same text trace
 * events use) plus the trailing space iproute2 always leaves.
 */
import { isLimitReached, type LimitReached } from "../object-quota.js";
import { formatRoute, type Route, type RouteProto, type RouteScope } from "../stack/route-table.js";
import type { NetNamespace } from "../stack/namespace.js";
import { formatIpv4, prefixMask } from "../wire/ipv4-address.js";
import { fail, type CommandContext } from "./command-context.js";
import { ArgReader, garbage, invalidArgument, kernelError, matches, parseAddressArg, parsePrefixArg, parseUnsigned, rtnetlink } from "./ip-args.js";
import type { IpOptions } from "./ip-options.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";
import { routesInFibOrder } from "./route-order.js";
import { deleteRoute, insertRoute, STRERROR, type KernelRefusal, type RouteRequest } from "./route-request.js";

type TableFilter = "main" | "local" | "all";

function parseTable(value: string): TableFilter {
  if (value === "main" || value === "254") return "main";
  if (value === "local" || value === "255") return "local";
  if (value === "all" || value === "0") return "all";
  if (value === "default" || value === "253" || parseUnsigned(value) !== null) notSimulated(`ip route ... table ${value}`);
  invalidArgument("table id value is invalid\n", value);
}

/** RTNH_F_LINKDOWN: the route's device is up without carrier (host-scope routes are exempt). */
function isLinkdown(ns: NetNamespace, r: Route): boolean {
  const dev = ns.device(r.dev);
  return dev !== undefined && dev.adminUp && !dev.hasCarrier() && r.scope !== "host";
}

function routeLine(ns: NetNamespace, r: Route, opts: { showTable: boolean; hideDev: boolean }): string {
  const text = formatRoute(r, { showTable: opts.showTable, linkdown: isLinkdown(ns, r) });
  return `${opts.hideDev ? text.replace(` dev ${r.dev}`, "") : text} `;
}

function show(args: ArgReader, ctx: CommandContext, opts: IpOptions): number {
  if (opts.family === 6) notSimulated("ip -6 route");
  let table: TableFilter = "main";
  let devName: string | undefined;
  let prefix: { address: number; prefixLength: number } | undefined;
  while (!args.done) {
    const a = args.take();
    if (a === "table") table = parseTable(args.value());
    else if (a === "dev" || a === "oif") devName = args.value();
    else if (a === "proto" || a === "scope" || a === "type" || a === "via" || a === "src" || a === "root" || a === "match" || a === "from") notSimulated(`ip route show ${a}`);
    else {
      const text = a === "exact" || a === "to" ? args.value() : a;
      if (prefix !== undefined) garbage("to", text);
      prefix = parsePrefixArg(text, "any valid");
    }
  }
  if (devName !== undefined && ctx.ns.device(devName) === undefined) fail(`Cannot find device "${devName}"`, 1);
  const tables: Route["table"][] = table === "all" ? ["main", "local"] : [table];
  for (const t of tables) {
    for (const r of routesInFibOrder(ctx.ns.routes.routes, t)) {
      if (devName !== undefined && r.dev !== devName) continue;
      if (prefix !== undefined && (r.dst !== ((prefix.address & prefixMask(prefix.prefixLength)) >>> 0) || r.prefixLength !== prefix.prefixLength)) continue;
      ctx.out.push(routeLine(ctx.ns, r, { showTable: table === "all", hideDev: devName !== undefined }));
    }
  }
  return 0;
}

function get(args: ArgReader, ctx: CommandContext): number {
  let dst: number | undefined;
  let from: number | undefined;
  let iifName: string | undefined;
  while (!args.done) {
    const a = args.take();
    if (a === "from") from = parsePrefixArg(args.value(), "inet").address;
    else if (a === "iif") iifName = args.value();
    else if (["oif", "mark", "uid", "tos", "dsfield", "fibmatch", "connected", "vrf", "ipproto", "sport", "dport", "as"].includes(a)) notSimulated(`ip route get ... ${a}`);
    else dst = parsePrefixArg(a === "to" ? args.value() : a, dst === undefined ? "any valid" : "inet").address;
  }
  if (dst === undefined) fail("need at least a destination address", 1);
  const ns = ctx.ns;
  if (iifName !== undefined) {
    if (ns.device(iifName) === undefined) fail(`Cannot find device "${iifName}"`, 1);
    return forwardedGet(ctx, dst, from ?? 0, iifName);
  }
  if (dst === 0) {
    ctx.out.push("local 0.0.0.0 dev lo src 127.0.0.1 uid 0 ", "    cache <local> ");
    return 0;
  }
  if (from !== undefined && !ns.isLocalAddress(from)) rtnetlink("Network is unreachable");
  const r = ns.routes.lookup(dst, (x) => x.table === "local" || ns.routeUsable(x)).route;
  if (r === null) rtnetlink("Network is unreachable");
  const fromText = from !== undefined ? ` from ${formatIpv4(from)}` : "";
  const srcText = (src: number) => (from !== undefined ? "" : ` src ${formatIpv4(src)}`);
  if (r.type === "local") {
    ctx.out.push(`local ${formatIpv4(dst)}${fromText} dev lo${srcText(r.src ?? dst)} uid 0 `, "    cache <local> ");
  } else if (r.type === "broadcast") {
    ctx.out.push(`broadcast ${formatIpv4(dst)}${fromText} dev ${r.dev}${srcText(r.src ?? 0)} uid 0 `, "    cache <local,brd> ");
  } else {
    const via = r.via !== null ? ` via ${formatIpv4(r.via)}` : "";
    const src = ns.sourceFor(ns.device(r.dev)!, r, dst);
    ctx.out.push(`${formatIpv4(dst)}${fromText}${via} dev ${r.dev}${srcText(src)} uid 0 `, "    cache ");
  }
  return 0;
}

/** ip_route_input: the decision for a packet from `from` arriving on `iif`. */
function forwardedGet(ctx: CommandContext, dst: number, from: number, iif: string): number {
  const ns = ctx.ns;
  if (from === 0 || ns.isLocalAddress(from)) rtnetlink("Invalid argument");
  const r = ns.routes.lookup(dst, (x) => x.table === "local" || ns.routeUsable(x)).route;
  const head = `${formatIpv4(dst)} from ${formatIpv4(from)}`;
  if (r !== null && r.type === "local") {
    ctx.out.push(`local ${head} dev lo `, `    cache <local> iif ${iif} `);
    return 0;
  }
  if (r !== null && r.type === "broadcast") {
    ctx.out.push(`broadcast ${head} dev lo `, `    cache <local,brd> iif ${iif} `);
    return 0;
  }
  if (!ns.forwarding) rtnetlink("No route to host");
  if (r === null) rtnetlink("Network is unreachable");
  const via = r.via !== null ? ` via ${formatIpv4(r.via)}` : "";
  ctx.out.push(`${head}${via} dev ${r.dev} `, `    cache ${r.dev === iif ? "<redirect> " : ""}iif ${iif} `);
  return 0;
}

const PROTOS: Record<string, RouteProto> = { kernel: "kernel", boot: "boot", static: "static", bird: "bird", "2": "kernel", "3": "boot", "4": "static", "12": "bird" };
const SCOPES: Record<string, RouteScope> = { host: "host", link: "link", global: "global", universe: "global", "254": "host", "253": "link", "0": "global" };
const UNSUPPORTED = ["mtu", "advmss", "rtt", "rttvar", "window", "cwnd", "initcwnd", "initrwnd", "realms", "nexthop", "nhid", "tos", "dsfield", "expires", "encap", "pref", "congctl", "features", "quickack", "ssthresh", "reordering", "hoplimit", "fastopen_no_cookie", "mpath", "from"];
const OTHER_TYPES = ["local", "broadcast", "blackhole", "unreachable", "prohibit", "throw", "nat", "anycast", "multicast"];

function parseRequest(args: ArgReader, ctx: CommandContext): RouteRequest {
  let dst: { address: number; prefixLength: number } | undefined;
  const req: Omit<RouteRequest, "dst" | "prefixLength"> = { via: null, devName: undefined, metric: undefined, onlink: false, proto: undefined, scope: undefined, src: null };
  while (!args.done) {
    const a = args.take();
    if (a === "via") {
      let v = args.value();
      if (v === "inet") v = args.value();
      req.via = parseAddressArg(v, "inet");
    } else if (a === "dev" || a === "oif") {
      req.devName = args.value();
    } else if (a === "metric" || a === "priority" || matches(a, "preference")) {
      const v = args.value();
      const n = parseUnsigned(v);
      if (n === null) invalidArgument(`"metric" value is invalid\n`, v);
      req.metric = n;
    } else if (a === "onlink") {
      req.onlink = true;
    } else if (a === "proto" || a === "protocol") {
      const v = args.value();
      req.proto = PROTOS[v];
      if (req.proto === undefined) invalidArgument(`"protocol" value is invalid\n`, v);
    } else if (a === "scope") {
      const v = args.value();
      req.scope = SCOPES[v];
      if (req.scope === undefined) invalidArgument(`invalid "scope" value\n`, v);
    } else if (a === "src") {
      req.src = parseAddressArg(args.value(), "inet");
    } else if (a === "table") {
      const t = parseTable(args.value());
      if (t !== "main") notSimulated(`ip route ... table ${t}`);
    } else if (UNSUPPORTED.includes(a)) {
      notSimulated(`ip route ... ${a}`);
    } else if (a === "unicast" && dst === undefined) {
      continue;
    } else if (OTHER_TYPES.includes(a) && dst === undefined) {
      notSimulated(`ip route ... ${a} routes`);
    } else {
      const text = a === "to" ? args.value() : a;
      if (dst !== undefined) garbage("to", text);
      dst = parsePrefixArg(text, "any valid");
    }
  }
  if (dst === undefined) rtnetlink("Invalid argument");
  if (req.devName !== undefined && ctx.ns.device(req.devName) === undefined) fail(`Cannot find device "${req.devName}"`, 1);
  return { ...req, dst: dst.address, prefixLength: dst.prefixLength };
}

/** How iproute2 prints a kernel refusal: the extended ack when there is one, else strerror. */
function refused(r: KernelRefusal | LimitReached | null): void {
  if (r === null) return;
  if (isLimitReached(r)) limitReached(r, 2);
  if (r.extack !== null) kernelError(`Error: ${r.extack}.`);
  rtnetlink(STRERROR[r.errno]);
}

function modify(args: ArgReader, ctx: CommandContext, mode: "add" | "replace" | "change"): number {
  refused(insertRoute(ctx.ns, parseRequest(args, ctx), mode));
  return 0;
}

function del(args: ArgReader, ctx: CommandContext): number {
  refused(deleteRoute(ctx.ns, parseRequest(args, ctx)));
  return 0;
}

function flush(args: ArgReader, ctx: CommandContext): number {
  if (args.done) fail(`"ip route flush" requires arguments.`, 1);
  if (args.peek() === "cache") return 0;
  let devName: string | undefined;
  let table: TableFilter = "main";
  while (!args.done) {
    const a = args.take();
    if (a === "dev") devName = args.value();
    else if (a === "table") table = parseTable(args.value());
    else notSimulated(`ip route flush ${a}`);
  }
  if (devName !== undefined && ctx.ns.device(devName) === undefined) fail(`Cannot find device "${devName}"`, 1);
  ctx.ns.routes.remove((r) => (table === "all" || r.table === table) && (devName === undefined || r.dev === devName));
  return 0;
}

export function ipRoute(argv: string[], ctx: CommandContext, opts: IpOptions): number {
  const args = new ArgReader(argv);
  const cmd = args.done ? "show" : args.take();
  if (matches(cmd, "add")) return modify(args, ctx, "add");
  if (matches(cmd, "change")) return modify(args, ctx, "change");
  if (matches(cmd, "replace")) return modify(args, ctx, "replace");
  if (matches(cmd, "prepend") || matches(cmd, "append")) notSimulated(`ip route ${cmd}`);
  if (matches(cmd, "delete")) return del(args, ctx);
  if (matches(cmd, "list") || matches(cmd, "show") || matches(cmd, "lst")) return show(args, ctx, opts);
  if (matches(cmd, "get")) return get(args, ctx);
  if (matches(cmd, "flush")) return flush(args, ctx);
  fail(`Command "${cmd}" is unknown, try "ip route help".`, 255);
}
