/**
 * `arp` (net-tools 2.10): the neighbour table as /proc/net/arp shows it, in
 * the Linux layout (default, -e) or the BSD one (-a); deleting (-d) and
 * setting (-s) entries.
 *
 * /proc/net/arp marks an entry complete (C) when it has a valid link-layer
 * address and permanent (M) when static; INCOMPLETE and FAILED entries both
 * read "(incomplete)". Names would be looked up without -n; the lab has no
 * DNS, so both modes print addresses (and -a prints "?" for the name). The
 * header appears only with the first entry, so an empty table prints nothing.
 */
import { isLimitReached } from "../object-quota.js";
import { neighDelete, neighUpdate } from "../stack/arp.js";
import type { NeighbourEntry } from "../stack/neighbour-cache.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { parseLladdr } from "./ip-args.js";
import { hostLookupError, parseInetAton } from "./ipv4-text-forms.js";
import { hasValidLladdr, listNeighbours } from "./neighbour-listing.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

const USAGE = [
  "Usage:",
  "  arp [-vn]  [<HW>] [-i <if>] [-a] [<hostname>]             <-Display ARP cache",
  "  arp [-v]          [-i <if>] -d  <host> [pub]               <-Delete ARP entry",
  "  arp [-vnD] [<HW>] [-i <if>] -f  [<filename>]            <-Add entry from file",
  "  arp [-v]   [<HW>] [-i <if>] -s  <host> <hwaddr> [temp]            <-Add entry",
  "  arp [-v]   [<HW>] [-i <if>] -Ds <host> <if> [netmask <nm>] pub          <-''-",
  "",
  "        -a                       display (all) hosts in alternative (BSD) style",
  "        -e                       display (all) hosts in default (Linux) style",
  "        -s, --set                set a new ARP entry",
  "        -d, --delete             delete a specified entry",
  "        -v, --verbose            be verbose",
  "        -n, --numeric            don't resolve names",
  "        -i, --device             specify network interface (e.g. eth0)",
  "        -D, --use-device         read <hwaddr> from given device",
  "        -A, -p, --protocol       specify protocol family",
  "        -f, --file               read new entries from file or from /etc/ethers",
  "",
  "  <HW>=Use '-H <hw>' to specify hardware address type. Default: ether",
  "  List of possible hardware types (which support ARP):",
  "    ash (Ash) ether (Ethernet) ax25 (AMPR AX.25) ",
  "    netrom (AMPR NET/ROM) rose (AMPR ROSE) arcnet (ARCnet) ",
  "    dlci (Frame Relay DLCI) fddi (Fiber Distributed Data Interface) hippi (HIPPI) ",
  "    irda (IrLAP) x25 (generic X.25) eui64 (Generic EUI-64) ",
].join("\n");

const E_USAGE = 3;

function flagsOf(e: NeighbourEntry): string {
  return `${hasValidLladdr(e) ? "C" : ""}${e.state === "PERMANENT" ? "M" : ""}`;
}

function linuxStyle(e: NeighbourEntry): string {
  const hw = hasValidLladdr(e) ? `${"ether".padEnd(8)}${e.mac!.padEnd(20)}` : `${"".padEnd(8)}${"(incomplete)".padEnd(20)}`;
  return `${formatIpv4(e.ip).padEnd(23)}  ${hw}${flagsOf(e).padEnd(6)}${"".padEnd(15)} ${e.dev}`;
}

function bsdStyle(e: NeighbourEntry): string {
  const at = hasValidLladdr(e) ? `${e.mac} [ether]${e.state === "PERMANENT" ? " PERM" : ""}` : "<incomplete>";
  return `? (${formatIpv4(e.ip)}) at ${at} on ${e.dev}`;
}

function display(ctx: CommandContext, opts: { bsd: boolean; device?: string; host?: string }): number {
  const entries = listNeighbours(ctx.ns);
  let host: number | undefined;
  if (opts.host !== undefined) {
    const h = parseInetAton(opts.host);
    if (h === null) fail(hostLookupError(opts.host), 255);
    host = h;
  }
  let shown = 0;
  for (const e of entries) {
    if (opts.device !== undefined && e.dev !== opts.device) continue;
    if (host !== undefined && e.ip !== host) continue;
    if (!opts.bsd && shown === 0) ctx.out.push("Address                  HWtype  HWaddress           Flags Mask            Iface");
    ctx.out.push(opts.bsd ? bsdStyle(e) : linuxStyle(e));
    shown++;
  }
  if (shown === 0) {
    if (host !== undefined) ctx.out.push(`${opts.host} (${formatIpv4(host)}) -- no entry`);
    else if (opts.device !== undefined) ctx.out.push(`arp: in ${entries.length} entries no match found.`);
  }
  return 0;
}

function remove(ctx: CommandContext, hostText: string | undefined, device: string | undefined): number {
  if (hostText === undefined) fail("arp: need host name", 255);
  const ip = parseInetAton(hostText);
  if (ip === null) fail(hostLookupError(hostText), 255);
  const victims = ctx.ns.neigh.list().filter((e) => e.ip === ip && (device === undefined || e.dev === device));
  if (victims.length === 0) fail(`No ARP entry for ${hostText}`, 255);
  for (const e of victims) neighDelete(ctx.ns, e.dev, e.ip, "arp -d");
  return 0;
}

function set(ctx: CommandContext, args: string[], device: string | undefined): number {
  const [hostText, hwText, ...flags] = args;
  if (hostText === undefined) fail("arp: need host name", 255);
  if (hwText === undefined) fail(`arp: need hardware address`, 255);
  const ip = parseInetAton(hostText);
  if (ip === null) fail(hostLookupError(hostText), 255);
  const parsed = parseLladdr(hwText);
  const mac = "mac" in parsed && parsed.mac.split(":").length === 6 ? parsed.mac : fail("arp: invalid hardware address", 255);
  if (flags.some((f) => f !== "temp")) notSimulated(`arp -s ... ${flags.join(" ")}`);
  const ns = ctx.ns;
  let devName = device;
  if (devName === undefined) {
    const r = ns.routes.lookup(ip, (x) => x.table === "main" && x.via === null && ns.routeUsable(x)).route;
    if (r === null) fail("SIOCSARP: Network is unreachable", 255);
    devName = r.dev;
  }
  const dev = ns.device(devName);
  if (dev === undefined) fail("SIOCSARP: No such device", 255);
  // Without "temp" the entry is static (ATF_PERM); with it, an ordinary entry that will go stale (arp_req_set).
  const e = neighUpdate(ns, dev, ip, mac, flags.includes("temp") ? "STALE" : "PERMANENT", "arp -s");
  if (isLimitReached(e)) limitReached(e, 255);
  return 0;
}

export const arpCommand: CommandHandler = (argv, ctx) => {
  let bsd = false;
  let device: string | undefined;
  let action: "display" | "delete" | "set" = "display";
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a === "-") {
      positional.push(a);
      continue;
    }
    if (a === "--numeric" || a === "--verbose") continue;
    if (a === "--device") {
      device = argv[++i];
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === "n" || c === "v" || c === "e") continue;
      if (c === "a") bsd = true;
      else if (c === "d") action = "delete";
      else if (c === "s") action = "set";
      else if (c === "i") {
        device = a.length > j + 1 ? a.slice(j + 1) : argv[++i];
        if (device === undefined) fail(`arp: option requires an argument -- 'i'\n${USAGE}`, E_USAGE);
        break;
      } else if (c === "H" || c === "t" || c === "A" || c === "p" || c === "f" || c === "D") notSimulated(`arp -${c}`);
      else if (c === "V") {
        ctx.out.push("net-tools 2.10", "+I18N +SELINUX");
        return 0;
      } else fail(`arp: invalid option -- '${c}'\n${USAGE}`, E_USAGE);
    }
  }
  if (action === "delete") return remove(ctx, positional[0], device);
  if (action === "set") return set(ctx, positional, device);
  const opts: { bsd: boolean; device?: string; host?: string } = { bsd };
  if (device !== undefined) opts.device = device;
  if (positional[0] !== undefined) opts.host = positional[0];
  return display(ctx, opts);
};
