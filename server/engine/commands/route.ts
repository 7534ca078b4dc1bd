/**
 * `route` (net-tools 2.10): print the main routing table the way
 * /proc/net/route shows it (-n numeric, -e/-ee extended columns), and add or
 * delete routes through the SIOCADDRT/SIOCDELRT ioctls.
 *
 * Without -n, net-tools would look names up; the lab has no DNS, so only the
 * default route changes ("default" instead of 0.0.0.0). A target without
 * -net/-host/default is a host route; a -net target without a netmask gets
 * its address class's mask. Metrics are the kernel's (net-tools adds one for
 * the ioctl, the kernel takes it off again).
 */
import { isLimitReached } from "../object-quota.js";
import type { Route } from "../stack/route-table.js";
import { formatIpv4, prefixLengthFromMask, prefixMask } from "../wire/ipv4-address.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { hostLookupError, parseInetAton } from "./ipv4-text-forms.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";
import { routesInFibOrder } from "./route-order.js";
import { deleteRoute, insertRoute, STRERROR, type RouteRequest } from "./route-request.js";

const E_USAGE = 3;
const E_LOOKUP = 6;
const E_SOCK = 7;

const USAGE = [
  "Usage: route [-nNvee] [-FC] [<AF>]           List kernel routing tables",
  "       route [-v] [-FC] {add|del|flush} ...  Modify routing table for AF.",
  "",
  "       route {-h|--help} [<AF>]              Detailed usage syntax for specified AF.",
  "       route {-V|--version}                  Display version/author and exit.",
  "",
  "        -v, --verbose            be verbose",
  "        -n, --numeric            don't resolve names",
  "        -e, --extend             display other/more information",
  "        -F, --fib                display Forwarding Information Base (default)",
  "        -C, --cache              display routing cache instead of FIB",
  "",
  "  <AF>=Use -4, -6, '-A <af>' or '--<af>'; default: inet",
  "  List of possible address families (which support routing):",
  "    inet (DARPA Internet) inet6 (IPv6) ax25 (AMPR AX.25) ",
  "    netrom (AMPR NET/ROM) rose (AMPR ROSE) ipx (Novell IPX) ",
  "    ddp (Appletalk DDP) x25 (CCITT X.25) ",
].join("\n");

const INET_USAGE = [
  "Usage: inet_route [-vF] del {-host|-net} Target[/prefix] [gw Gw] [metric M] [[dev] If]",
  "       inet_route [-vF] add {-host|-net} Target[/prefix] [gw Gw] [metric M]",
  "                              [netmask N] [mss Mss] [window W] [irtt I]",
  "                              [mod] [dyn] [reinstate] [[dev] If]",
  "       inet_route [-vF] add {-host|-net} Target[/prefix] [metric M] reject",
  "       inet_route [-FC] flush      NOT supported",
].join("\n");

function flags(r: Route): string {
  return `U${r.via !== null ? "G" : ""}${r.prefixLength === 32 ? "H" : ""}`;
}

function table(ctx: CommandContext, numeric: boolean, extended: number): number {
  const pad = (s: string) => s.padEnd(15);
  ctx.out.push("Kernel IP routing table");
  if (extended === 1) ctx.out.push("Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface");
  else if (extended >= 2) ctx.out.push("Destination     Gateway         Genmask         Flags Metric Ref    Use Iface    MSS   Window irtt");
  else ctx.out.push("Destination     Gateway         Genmask         Flags Metric Ref    Use Iface");
  for (const r of routesInFibOrder(ctx.ns.routes.routes, "main")) {
    const dst = r.dst === 0 && !numeric ? "default" : formatIpv4(r.dst);
    const head = `${pad(dst)} ${pad(formatIpv4(r.via ?? 0))} ${pad(formatIpv4(prefixMask(r.prefixLength)))} ${flags(r).padEnd(5)} `;
    if (extended === 1) ctx.out.push(`${head}${"0".padStart(5)} ${"0".padEnd(6)} ${"0".padStart(5)} ${r.dev}`);
    else if (extended >= 2) ctx.out.push(`${head}${String(r.metric).padEnd(6)} ${"0".padEnd(2)} ${"0".padStart(7)} ${r.dev.padEnd(8)} ${"0".padEnd(5)} ${"0".padEnd(6)} 0`);
    else ctx.out.push(`${head}${String(r.metric).padEnd(6)} ${"0".padEnd(2)} ${"0".padStart(7)} ${r.dev}`);
  }
  return 0;
}

function usageError(message: string): never {
  fail(`${message}\n${INET_USAGE}`, E_USAGE);
}

function resolve(text: string): number {
  const a = parseInetAton(text);
  if (a === null) fail(hostLookupError(text), E_LOOKUP);
  return a;
}

/** The classful mask net-tools assumes for a -net target given without one. */
function classfulPrefix(address: number): number {
  const first = address >>> 24;
  if (address === 0) return 0;
  return first < 128 ? 8 : first < 192 ? 16 : first < 224 ? 24 : 32;
}

function parseRequest(args: string[]): RouteRequest {
  let kind: "net" | "host" | undefined;
  let i = 0;
  if (args[i] === "-net" || args[i] === "-host") kind = args[i++] === "-net" ? "net" : "host";
  const target = args[i++];
  if (target === undefined) fail(INET_USAGE, 0);
  let dst: number;
  let prefixLength: number | undefined;
  if (target === "default") {
    dst = 0;
    prefixLength = 0;
  } else {
    const slash = target.indexOf("/");
    dst = resolve(slash < 0 ? target : target.slice(0, slash));
    if (slash >= 0) {
      const len = Number(target.slice(slash + 1));
      if (!/^\d+$/.test(target.slice(slash + 1)) || len > 32) usageError(`route: bogus netmask ${target.slice(slash + 1)}`);
      prefixLength = len;
      kind ??= "net";
    }
  }
  const req: RouteRequest = { dst, prefixLength: 32, via: null, devName: undefined, metric: undefined, onlink: false, proto: undefined, scope: undefined, src: null };
  for (; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) fail(INET_USAGE, E_USAGE);
      return v;
    };
    if (a === "netmask") {
      const text = value();
      const m = parseInetAton(text);
      const len = m === null ? null : prefixLengthFromMask(m);
      if (len === null || !len.ok) usageError(`route: bogus netmask ${text}`);
      prefixLength = len.value;
    } else if (a === "gw" || a === "gateway") req.via = resolve(value());
    else if (a === "metric") {
      const v = value();
      if (!/^\d+$/.test(v)) fail(INET_USAGE, E_USAGE);
      req.metric = Number(v);
    } else if (a === "dev" || a === "device") req.devName = value();
    else if (["mss", "window", "irtt", "reject", "mod", "dyn", "reinstate"].includes(a)) notSimulated(`route ... ${a}`);
    else if (i === args.length - 1) req.devName = a;
    else fail(INET_USAGE, E_USAGE);
  }
  if (target === "default") kind = "net";
  if (kind === "net") {
    req.prefixLength = prefixLength ?? classfulPrefix(dst);
    if (prefixLength !== undefined && ((dst & ~prefixMask(prefixLength)) >>> 0) !== 0) usageError("route: netmask doesn't match route address");
  } else {
    req.prefixLength = 32;
  }
  return req;
}

function change(args: string[], ctx: CommandContext, op: "add" | "del"): number {
  if (args.length === 0) {
    ctx.out.push(INET_USAGE);
    return 0;
  }
  const req = parseRequest(args);
  const refusal = op === "add" ? insertRoute(ctx.ns, req, "add") : deleteRoute(ctx.ns, req);
  if (isLimitReached(refusal)) limitReached(refusal, E_SOCK);
  if (refusal !== null) fail(`${op === "add" ? "SIOCADDRT" : "SIOCDELRT"}: ${STRERROR[refusal.errno]}`, E_SOCK);
  return 0;
}

export const routeCommand: CommandHandler = (argv, ctx) => {
  let numeric = false;
  let extended = 0;
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith("-") && argv[i] !== "-net" && argv[i] !== "-host"; i++) {
    const opt = argv[i]!;
    if (opt === "-A") {
      const af = argv[++i];
      if (af !== "inet") notSimulated(`route -A ${af ?? ""}`.trim());
      continue;
    }
    if (opt === "--inet" || opt === "-4" || opt === "--numeric") {
      if (opt === "--numeric") numeric = true;
      continue;
    }
    if (opt.startsWith("--")) fail(`route: unrecognized option '${opt}'\n${USAGE}`, 0);
    for (const c of opt.slice(1)) {
      if (c === "n" || c === "N") numeric = true;
      else if (c === "e") extended++;
      else if (c === "v" || c === "F") continue;
      else if (c === "C" || c === "6") notSimulated(`route -${c}`);
      else if (c === "V") {
        ctx.out.push("net-tools 2.10", "+NEW_ADDRT +RTF_IRTT +RTF_REJECT +I18N +SELINUX");
        return 0;
      } else if (c === "h") fail(USAGE, 0);
      else fail(`route: invalid option -- '${c}'\n${USAGE}`, 0);
    }
  }
  const [cmd, ...rest] = argv.slice(i);
  if (cmd === undefined) return table(ctx, numeric, extended);
  if (cmd === "add") return change(rest, ctx, "add");
  if (cmd === "del" || cmd === "delete") return change(rest, ctx, "del");
  if (cmd === "flush") notSimulated("route flush");
  fail(USAGE, E_USAGE);
};
