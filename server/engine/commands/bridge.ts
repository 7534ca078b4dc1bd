/**
 * `bridge` (iproute2 6.1): `fdb show` and `link show`.
 *
 * `bridge fdb show` prints what the kernel's RTM_GETNEIGH dump yields, device
 * by device in ifindex order: for a bridge port, the bridge's entries behind
 * that port (newest first, as the FDB list is kept) including the port's own
 * MAC as `permanent`; then the device's own ("self") hardware address lists —
 * the multicast groups it has joined; for a bridge device, also its own MAC.
 * Learnt entries idle for the ageing time are gone even if the bridge's
 * garbage collector has not run yet (the kernel hides them too).
 *
 * The self multicast lists are derived, not stored: every IPv6-capable device
 * joins all-nodes (33:33:00:00:00:01); one that is up joins all-hosts
 * (01:00:5e:00:00:01) and, with its link-local address, its solicited-node
 * group; a bridge that is up also joins all-snoopers (224.0.0.106, ff02::6a)
 * for multicast snooping. A device brought down leaves them all.
 */
import { Vxlan } from "../link/vxlan.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { Bridge } from "../link/bridge.js";
import type { Device } from "../link/device.js";
import type { FdbEntry } from "../link/fdb.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { masterBridge, portCost, portState, PORT_PRIORITY } from "./bridge-port.js";
import { hasBeenUp } from "./device-history.js";
import { matches } from "./ip-args.js";
import { hasIpv6LinkLocal, solicitedNodeMac } from "./ipv6-link-local.js";
import { iproute2Flags } from "./link-flags.js";
import { bridgeLinkSuffix } from "./link-peer.js";
import { printListingAsJson } from "./iproute2-json.js";
import { notSimulated } from "./not-simulated.js";

const USAGE = [
  "Usage: bridge [ OPTIONS ] OBJECT { COMMAND | help }",
  "       bridge [ -force ] -batch filename",
  "where  OBJECT := { link | fdb | mdb | vlan | monitor }",
  "       OPTIONS := { -V[ersion] | -s[tatistics] | -d[etails] |",
  "                    -o[neline] | -t[imestamp] | -n[etns] name |",
  "                    -c[ompressvlans] -color -p[retty] -j[son] }",
].join("\n");

interface BridgeOptions {
  stats: boolean;
  /** -d: `link show` adds each port's flags on a second line. */
  details: boolean;
}

const ALL_NODES = "33:33:00:00:00:01";
const ALL_HOSTS = "01:00:5e:00:00:01";
const ALL_SNOOPERS = ["01:00:5e:00:00:6a", "33:33:00:00:00:6a"];

function selfMulticast(dev: Device): string[] {
  // A VXLAN device's FDB holds its remote VTEPs, not multicast groups.
  if (dev.kind === "loopback" || dev.kind === "vxlan") return [];
  if (!dev.adminUp) return hasBeenUp(dev) ? [] : [ALL_NODES];
  const groups = [ALL_NODES, ...(dev instanceof Bridge ? ALL_SNOOPERS : []), ALL_HOSTS];
  if (hasIpv6LinkLocal(dev)) groups.push(solicitedNodeMac(dev.mac));
  return groups;
}

function liveEntries(br: Bridge, now: number): FdbEntry[] {
  return br.fdb
    .list()
    .filter((e) => e.local || br.ageingTime === 0 || now - e.updated < br.ageingTime)
    .reverse();
}

function masterLine(e: FdbEntry, devPart: string, br: Bridge, opts: BridgeOptions, now: number): string {
  const age = Math.floor((now - e.updated) / 1_000_000);
  const used = opts.stats ? ` used ${age}/${age}` : "";
  return `${e.mac}${devPart}${used} master ${br.name} ${e.local ? "permanent" : ""}`;
}

function fdbShow(args: string[], ctx: CommandContext, opts: BridgeOptions): number {
  let bridgeFilter: Device | undefined;
  let devFilter: Device | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = () => {
      const v = args[++i];
      if (v === undefined) fail(`Command line is not complete. Try option "help"`, 255);
      return v;
    };
    if (a === "br") {
      const name = value();
      bridgeFilter = ctx.ns.device(name);
      if (bridgeFilter === undefined) fail(`Cannot find bridge device "${name}"`, 255);
    } else if (a === "brport" || a === "dev") {
      const name = value();
      devFilter = ctx.ns.device(name);
      if (devFilter === undefined) fail(`Cannot find device "${name}"`, 255);
    } else notSimulated(`bridge fdb show ${a}`);
  }
  const now = ctx.net.scheduler.now;
  for (const dev of ctx.ns.deviceList()) {
    const master = masterBridge(dev);
    if (bridgeFilter !== undefined && dev !== bridgeFilter && master !== bridgeFilter) continue;
    if (devFilter !== undefined && dev !== devFilter) continue;
    // With `dev X`, iproute2 leaves the device name out of each line.
    const devPart = devFilter !== undefined ? "" : ` dev ${dev.name}`;
    if (master !== null) {
      for (const e of liveEntries(master, now)) if (e.port === dev.name) ctx.out.push(masterLine(e, devPart, master, opts, now));
    }
    if (dev instanceof Vxlan) for (const [mac, remote] of dev.fdb) ctx.out.push(`${mac}${devPart} dst ${formatIpv4(remote)} self permanent`);
    for (const mac of selfMulticast(dev)) ctx.out.push(`${mac}${devPart} self permanent`);
    if (dev instanceof Bridge) {
      for (const e of liveEntries(dev, now)) if (e.port === dev.name) ctx.out.push(masterLine(e, devPart, dev, opts, now));
    }
  }
  return 0;
}

function fdb(args: string[], ctx: CommandContext, opts: BridgeOptions): number {
  const [cmd = "show", ...rest] = args;
  if (matches(cmd, "show") || matches(cmd, "list") || matches(cmd, "lst")) return fdbShow(rest, ctx, opts);
  if (["add", "append", "delete", "replace", "get", "flush"].some((c) => matches(cmd, c))) notSimulated(`bridge fdb ${cmd}`);
  fail(`Command "${cmd}" is unknown, try "bridge fdb help".`, 255);
}

/** `bridge link set dev PORT hairpin on|off`: the one port flag simulated (IFLA_BRPORT_MODE). */
function linkSet(args: string[], ctx: CommandContext): number {
  let dev: Device | undefined;
  let hairpin: boolean | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    const value = args[++i];
    if (value === undefined) fail(`Command line is not complete. Try option "help"`, 255);
    if (a === "dev") {
      dev = ctx.ns.device(value);
      if (dev === undefined) fail(`Cannot find device "${value}"`, 255);
    } else if (a === "hairpin") {
      if (value !== "on" && value !== "off") fail(`Error: argument of "hairpin" must be "on" or "off", not "${value}"`, 255);
      hairpin = value === "on";
    } else notSimulated(`bridge link set ${a}`);
  }
  if (dev === undefined) fail("Device is a required argument.", 255);
  const br = masterBridge(dev);
  if (br === null) fail("RTNETLINK answers: Operation not supported", 255);
  if (hairpin !== undefined) br.setHairpin(dev, hairpin);
  return 0;
}

function link(args: string[], ctx: CommandContext, opts: BridgeOptions): number {
  const [cmd = "show", ...rest] = args;
  if (matches(cmd, "set") || matches(cmd, "change")) return linkSet(rest, ctx);
  if (!(matches(cmd, "show") || matches(cmd, "list") || matches(cmd, "lst"))) fail(`Command "${cmd}" is unknown, try "bridge link help".`, 255);
  let devFilter: Device | undefined;
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i]!;
    if (a !== "dev") notSimulated(`bridge link show ${a}`);
    const name = rest[++i];
    if (name === undefined) fail(`Command line is not complete. Try option "help"`, 255);
    devFilter = ctx.ns.device(name);
    if (devFilter === undefined) fail(`Cannot find device "${name}"`, 255);
  }
  for (const dev of ctx.ns.deviceList()) {
    const br = masterBridge(dev);
    if (br === null || (devFilter !== undefined && dev !== devFilter)) continue;
    ctx.out.push(
      `${dev.ifindex}: ${dev.name}${bridgeLinkSuffix(dev, ctx.ns)}: ${iproute2Flags(dev, ctx.ns)} mtu ${dev.mtu} master ${br.name} ` +
        `state ${portState(br, dev)} priority ${PORT_PRIORITY} cost ${portCost(dev)} `,
    );
    if (opts.details) {
      ctx.out.push(
        `    hairpin ${br.hairpin.has(dev) ? "on" : "off"} guard off root_block off fastleave off learning on flood on mcast_flood on bcast_flood on mcast_router 1 mcast_to_unicast off neigh_suppress off vlan_tunnel off isolated off locked off `,
      );
    }
  }
  return 0;
}

export const bridgeCommand: CommandHandler = (argv, ctx) => {
  const opts: BridgeOptions = { stats: false, details: false };
  let json = false;
  let pretty = false;
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith("-"); i++) {
    const opt = argv[i]!.startsWith("--") ? argv[i]!.slice(1) : argv[i]!;
    if (matches(opt, "-statistics") || matches(opt, "-stats")) opts.stats = true;
    else if (matches(opt, "-Version")) {
      ctx.out.push("bridge utility, 6.1.0");
      return 0;
    } else if (matches(opt, "-color") || opt.startsWith("-color=") || opt.startsWith("-c=")) continue;
    else if (matches(opt, "-json")) json = true;
    else if (matches(opt, "-pretty")) pretty = true;
    else if (matches(opt, "-details")) opts.details = true;
    else if (["-oneline", "-timestamp", "-batch", "-force", "-netns", "-compressvlans", "-4", "-6"].some((o) => matches(opt, o))) notSimulated(`bridge ${argv[i]}`);
    else fail(`Option "${argv[i]}" is unknown, try "bridge help".`, 255);
  }
  const [object, ...rest] = argv.slice(i);
  if (object === undefined) fail(USAGE, 255);
  const chosen = ["link", "fdb", "mdb", "vlan", "monitor", "help"].find((o) => matches(object, o));
  if (json && (chosen === "link" || chosen === "fdb") && (rest.length === 0 || matches(rest[0]!, "show") || matches(rest[0]!, "list"))) {
    if (chosen === "fdb" && opts.stats) notSimulated("bridge -json -statistics fdb");
    return printListingAsJson(ctx, chosen === "link" ? "bridge-link" : "bridge-fdb", pretty, (c) => (chosen === "link" ? link(rest, c, opts) : fdb(rest, c, opts)));
  }
  if (chosen === "link") return link(rest, ctx, opts);
  if (chosen === "fdb") return fdb(rest, ctx, opts);
  if (chosen === "vlan" && (rest.length === 0 || matches(rest[0]!, "show"))) {
    // The recorded kernel has no bridge VLAN filtering: only the header.
    ctx.out.push("port              vlan-id  ");
    return 0;
  }
  if (chosen !== undefined && chosen !== "help") notSimulated(`bridge ${chosen}`);
  fail(`Object "${object}" is unknown, try "bridge help".`, 255);
};
