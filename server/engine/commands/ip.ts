/**
 * `ip` (iproute2 6.1): global options, then one object — address, link,
 * route, neigh, netns, rule — each in its own module. Objects iproute2 knows
 * but the simulator does not model answer with the common "not simulated"
 * message; unknown ones fail as ip does.
 */
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { ipAddress } from "./ip-address.js";
import { printListingAsJson } from "./iproute2-json.js";
import { matches } from "./ip-args.js";
import { ipLink } from "./ip-link.js";
import { ipTuntap } from "./ip-tuntap.js";
import { ipNeigh } from "./ip-neigh.js";
import { ipNetns, openNamedNamespace } from "./ip-netns.js";
import type { IpOptions } from "./ip-options.js";
import { ipRoute } from "./ip-route.js";
import { ipRule } from "./ip-rule.js";
import { notSimulated } from "./not-simulated.js";

const USAGE = [
  "Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }",
  "       ip [ -force ] -batch filename",
  "where  OBJECT := { address | addrlabel | amt | fou | help | ila | ioam | l2tp |",
  "                   link | macsec | maddress | monitor | mptcp | mroute | mrule |",
  "                   neighbor | neighbour | netconf | netns | nexthop | ntable |",
  "                   ntbl | route | rule | sr | tap | tcpmetrics |",
  "                   token | tunnel | tuntap | vrf | xfrm }",
  "       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] | -r[esolve] |",
  "                    -h[uman-readable] | -iec | -j[son] | -p[retty] |",
  "                    -f[amily] { inet | inet6 | mpls | bridge | link } |",
  "                    -4 | -6 | -M | -B | -0 |",
  "                    -l[oops] { maximum-addr-flush-attempts } | -br[ief] |",
  "                    -o[neline] | -t[imestamp] | -ts[hort] | -b[atch] [filename] |",
  "                    -rc[vbuf] [size] | -n[etns] name | -N[umeric] | -a[ll] |",
  "                    -c[olor]}",
].join("\n");

/** The object table in ip.c's order: a prefix picks the first object it matches ("ip r" is route). */
const OBJECTS = [
  "address", "addrlabel", "maddress", "route", "rule", "neighbor", "neighbour", "ntable", "ntbl", "link", "l2tp", "fou", "ila",
  "macsec", "tunnel", "tunl", "tuntap", "tap", "token", "tcpmetrics", "tcp_metrics", "monitor", "xfrm", "mroute", "mrule",
  "netns", "netconf", "vrf", "sr", "nexthop", "mptcp", "ioam", "help", "stats",
] as const;

export const ipCommand: CommandHandler = (argv, ctx) => {
  const opts: IpOptions = { family: null, brief: false, details: false, stats: 0 };
  let i = 0;
  let netns: string | undefined;
  let netnsAt = -1;
  let humanReadable = false;
  let json = false;
  let pretty = false;
  for (; i < argv.length; i++) {
    const raw = argv[i]!;
    if (!raw.startsWith("-")) break;
    // ip accepts --option as -option.
    const opt = raw.startsWith("--") ? raw.slice(1) : raw;
    if (opt === "-4") opts.family = 4;
    else if (opt === "-6") opts.family = 6;
    else if (opt.length >= 3 && matches(opt, "-brief")) opts.brief = true;
    else if (matches(opt, "-details")) opts.details = true;
    else if (matches(opt, "-statistics") || matches(opt, "-stats")) opts.stats++;
    else if (matches(opt, "-color") || opt.startsWith("-color=") || opt.startsWith("-c=")) continue;
    else if (matches(opt, "-Version")) {
      ctx.out.push("ip utility, iproute2-6.1.0, libbpf 1.1.2");
      return 0;
    } else if (matches(opt, "-netns")) {
      netnsAt = i;
      netns = argv[++i];
      if (netns === undefined) fail(`No netns name specified`, 255);
    } else if (matches(opt, "-family")) {
      const f = argv[++i];
      if (f === "inet") opts.family = 4;
      else if (f === "inet6") opts.family = 6;
      else notSimulated(`ip -family ${f ?? ""}`.trim());
    } else if (matches(opt, "-human") || matches(opt, "-human-readable")) {
      // ip tries -human before -help, so a bare -h is human-readable: it only changes -s figures.
      humanReadable = true;
    } else if (matches(opt, "-help")) fail(USAGE, 255);
    else if (matches(opt, "-json")) json = true;
    else if (matches(opt, "-pretty")) pretty = true;
    else if ([ "-oneline", "-resolve", "-timestamp", "-tshort", "-batch", "-force", "-loops", "-rcvbuf", "-Numeric", "-all", "-iec", "-0", "-M", "-B"].some((o) => matches(opt, o)))
      notSimulated(`ip ${raw}`);
    else fail(`Option "${raw}" is unknown, try "ip -help".`, 255);
  }
  if (humanReadable && opts.stats > 0) notSimulated("ip -human-readable -statistics");
  if (netns !== undefined) {
    const ns = openNamedNamespace(ctx, netns);
    // ip -n NAME ... is ip netns exec NAME ip ...
    return ctx.exec(ns, ["ip", ...argv.filter((_, j) => j !== netnsAt && j !== netnsAt + 1)]);
  }
  const object = argv[i];
  if (object === undefined) fail(USAGE, 255);
  const rest = argv.slice(i + 1);
  const chosen = OBJECTS.find((o) => matches(object, o));
  // -p alone changes nothing; with -j the listings of link, address, route and neigh come out as JSON.
  if (json && (chosen === "link" || chosen === "address" || chosen === "route" || chosen === "neighbor" || chosen === "neighbour")) {
    const sub = rest[0];
    const listing = sub === undefined || matches(sub, "show") || matches(sub, "list") || sub === "lst";
    if (listing) {
      // -d is read back for links whose kind has no data of its own (ip-link-format.ts prints the rest, and the JSON reader says so).
      if ((opts.details && chosen !== "link") || opts.stats > 0 || opts.brief) notSimulated(`ip -json ${opts.brief ? "-brief" : opts.details ? "-details" : "-statistics"}`);
      const kind = chosen === "neighbor" ? "neigh" : chosen === "neighbour" ? "neigh" : chosen;
      const run = (c: CommandContext) =>
        chosen === "link" ? ipLink(rest, c, opts) : chosen === "address" ? ipAddress(rest, c, opts) : chosen === "route" ? ipRoute(rest, c, opts) : ipNeigh(rest, c, opts);
      return printListingAsJson(ctx, kind, pretty, run);
    }
    if (chosen === "route" && sub !== undefined && matches(sub, "get")) notSimulated("ip -json route get");
  }
  switch (chosen) {
    case "address":
      return ipAddress(rest, ctx, opts);
    case "link":
      return ipLink(rest, ctx, opts);
    case "route":
      return ipRoute(rest, ctx, opts);
    case "neighbor":
    case "neighbour":
      return ipNeigh(rest, ctx, opts);
    case "netns":
      return ipNetns(rest, ctx);
    case "rule":
      return ipRule(rest, ctx);
    case "tuntap":
      return ipTuntap(rest, ctx);
    case "help":
      fail(USAGE, 255);
    case undefined:
      fail(`Object "${object}" is unknown, try "ip help".`, 1);
    default:
      notSimulated(`ip ${chosen}`);
  }
};
