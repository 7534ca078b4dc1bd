/**
 * `ifconfig` (net-tools 2.10): show interfaces (the up ones, all with -a, or
 * one), and change one: up/down, its primary IPv4 address, netmask,
 * broadcast, mtu.
 *
 * net-tools works through the old ioctls: it sees only a device's primary
 * IPv4 address (SIOCGIFADDR), setting an address replaces that primary
 * (classful netmask unless one is given, broadcast derived, interface brought
 * up), and `0.0.0.0` removes it. Interfaces are listed in name order with
 * numbers compared as numbers (net-tools' nstrcmp). The real tool applies
 * each argument as it reads it; we check them all first so that a bad one
 * changes nothing. A setting the session's object limits refuse stops the
 * command there (exit 1), as a failed ioctl does: a refused address leaves
 * the one it was to replace in place; a refused `up` (its routes would not
 * fit) keeps what was set before it.
 */
import type { Device, InterfaceAddress } from "../link/device.js";
import { isLimitReached } from "../object-quota.js";
import type { NetNamespace } from "../stack/namespace.js";
import { cidrBroadcast, formatIpv4, ipv4CidrOrThrow, prefixLengthFromMask, prefixMask, type Ipv4Address } from "../wire/ipv4-address.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { orderedAddresses } from "./ip-address.js";
import { hostLookupError, parseInetAton } from "./ipv4-text-forms.js";
import { ipv6Addresses } from "./ipv6-link-local.js";
import { IFF, interfaceFlags } from "./link-flags.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

/** net-tools' ife_print_long order (a dummy device: flags=195<UP,BROADCAST,RUNNING,NOARP>). */
const FLAG_NAMES: [number, string][] = [
  [IFF.UP, "UP"],
  [IFF.BROADCAST, "BROADCAST"],
  [IFF.LOOPBACK, "LOOPBACK"],
  [IFF.POINTOPOINT, "POINTOPOINT"],
  [IFF.RUNNING, "RUNNING"],
  [IFF.NOARP, "NOARP"],
  [IFF.MULTICAST, "MULTICAST"],
];

const USAGE_HINT = "ifconfig: `--help' gives usage information.";

/** net-tools' "(7.7 MiB)": one truncated decimal, binary units. */
export function humanBytes(n: number): string {
  const units: [number, string][] = [
    [1125899906842624, "PiB"],
    [1099511627776, "TiB"],
    [1073741824, "GiB"],
    [1048576, "MiB"],
    [1024, "KiB"],
  ];
  let tenths = n * 10;
  let unit = "B";
  for (const [size, name] of units) {
    if (n > size) {
      tenths = Math.floor(tenths / size);
      unit = name;
      break;
    }
  }
  return `${Math.floor(tenths / 10)}.${tenths % 10} ${unit}`;
}

/** net-tools nstrcmp: runs of digits compare by value, so eth2 sorts before eth10. */
function naturalCompare(a: string, b: string): number {
  const pa = a.match(/\d+|\D+/g) ?? [];
  const pb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const x = pa[i]!;
    const y = pb[i]!;
    if (x === y) continue;
    if (/^\d/.test(x) && /^\d/.test(y)) return Number(x) - Number(y) || (x < y ? -1 : 1);
    return x < y ? -1 : 1;
  }
  return pa.length - pb.length;
}

const SCOPE_IDS: Record<string, string> = { host: "0x10<host>", link: "0x20<link>" };

function block(dev: Device, ctx: CommandContext): string[] {
  const flags = interfaceFlags(dev, ctx.ns) & 0xffff;
  const names = FLAG_NAMES.filter(([bit]) => flags & bit).map(([, n]) => n);
  const lines = [`${dev.name}: flags=${flags}<${names.join(",")}>  mtu ${dev.mtu}`];
  const primary = orderedAddresses(dev)[0]?.ia;
  if (primary !== undefined) {
    const brd = flags & IFF.BROADCAST ? `  broadcast ${formatIpv4(primary.broadcast)}` : "";
    lines.push(`        inet ${formatIpv4(primary.address)}  netmask ${formatIpv4(prefixMask(primary.prefixLength))}${brd}`);
  }
  for (const a of ipv6Addresses(dev)) lines.push(`        inet6 ${a.address}  prefixlen ${a.prefixLength}  scopeid ${SCOPE_IDS[a.scope]}`);
  lines.push(dev.kind === "loopback" ? "        loop  txqueuelen 1000  (Local Loopback)" : `        ether ${dev.mac}  txqueuelen 1000  (Ethernet)`);
  const s = dev.stats;
  lines.push(
    `        RX packets ${s.rxPackets}  bytes ${s.rxBytes} (${humanBytes(s.rxBytes)})`,
    `        RX errors 0  dropped ${s.rxDropped}  overruns 0  frame 0`,
    `        TX packets ${s.txPackets}  bytes ${s.txBytes} (${humanBytes(s.txBytes)})`,
    `        TX errors 0  dropped ${s.txDropped} overruns 0  carrier 0  collisions 0`,
    "",
  );
  return lines;
}

/** The historical class of an address, which SIOCSIFADDR uses as the netmask until one is set. */
function classfulPrefix(address: number): number {
  const first = address >>> 24;
  if (first < 128) return 8;
  if (first < 192) return 16;
  if (first < 224) return 24;
  return 32;
}

interface Change {
  address?: number;
  netmask?: number;
  broadcast?: number;
  mtu?: number;
  up?: boolean;
}

function parseChange(args: string[]): Change {
  const change: Change = {};
  const value = (i: number, what: string): string => {
    const v = args[i];
    if (v === undefined) fail(`${what}: ${USAGE_HINT}`, 1);
    return v;
  };
  const address = (text: string): number => {
    const a = parseInetAton(text);
    if (a === null) fail(`${hostLookupError(text)}\n${USAGE_HINT}`, 1);
    return a;
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "up") change.up = true;
    else if (a === "down") change.up = false;
    else if (a === "netmask") {
      const m = address(value(++i, a));
      if (!prefixLengthFromMask(m).ok) fail("SIOCSIFNETMASK: Invalid argument", 1);
      change.netmask = m;
    } else if (a === "broadcast") change.broadcast = address(value(++i, a));
    else if (a === "mtu") {
      const v = value(++i, a);
      const mtu = /^\d+$/.test(v) ? Number(v) : NaN;
      if (!(mtu >= 68 && mtu <= 65535)) fail("SIOCSIFMTU: Invalid argument", 1);
      change.mtu = mtu;
    } else if (["add", "del", "hw", "arp", "-arp", "promisc", "-promisc", "allmulti", "-allmulti", "multicast", "txqueuelen", "name", "pointopoint", "dstaddr", "tunnel", "-broadcast", "-pointopoint", "inet6"].includes(a)) {
      notSimulated(`ifconfig ... ${a}`);
    } else if (a === "inet") continue;
    else change.address = address(a);
  }
  return change;
}

/** What net-tools prints when every ioctl on a missing interface fails. */
function missingDevice(name: string, change: Change): never {
  const lines: string[] = [];
  if (change.address !== undefined) lines.push("SIOCSIFADDR: No such device", `${name}: ERROR while getting interface flags: No such device`);
  if (change.broadcast !== undefined) lines.push("SIOCSIFBRDADDR: No such device");
  if (change.netmask !== undefined) lines.push("SIOCSIFNETMASK: No such device");
  if (change.mtu !== undefined) lines.push("SIOCSIFMTU: No such device");
  if (change.up !== undefined) lines.push(`${name}: ERROR while getting interface flags: No such device`);
  fail(lines.join("\n"), change.address !== undefined || change.up !== undefined ? 255 : 1);
}

/** Replaces `old` (if any) with `address/prefixLength`; when the session's limits refuse the new one, puts `old` back and fails. */
function replaceAddress(ns: NetNamespace, dev: Device, old: InterfaceAddress | undefined, address: number, prefixLength: number): InterfaceAddress {
  if (old !== undefined) ns.delAddress(dev, old.address, old.prefixLength);
  const refused = ns.addAddress(dev, address, prefixLength);
  if (isLimitReached(refused)) {
    // What `old` held was just freed, so it fits again.
    if (old !== undefined && ns.addAddress(dev, old.address, old.prefixLength) === null) Object.assign(dev.addresses[dev.addresses.length - 1]!, old);
    limitReached(refused, 1);
  }
  return dev.addresses[dev.addresses.length - 1]!;
}

function setUp(ns: NetNamespace, dev: Device, up: boolean): void {
  const refused = ns.setUp(dev, up);
  if (refused !== null) limitReached(refused, 1);
}

function apply(ctx: CommandContext, dev: Device, change: Change): void {
  const ns = ctx.ns;
  let primary = orderedAddresses(dev)[0]?.ia;
  if (change.address !== undefined) {
    if (change.address === 0) {
      if (primary !== undefined) ns.delAddress(dev, primary.address, primary.prefixLength);
      primary = undefined;
    } else {
      const prefix = change.netmask !== undefined ? prefixLengthFromMask(change.netmask) : null;
      primary = replaceAddress(ns, dev, primary, change.address, prefix?.ok ? prefix.value : classfulPrefix(change.address));
    }
  } else if (change.netmask !== undefined && primary !== undefined) {
    const prefix = prefixLengthFromMask(change.netmask);
    if (prefix.ok && prefix.value !== primary.prefixLength) {
      const old = { ...primary };
      // SIOCSIFNETMASK re-derives a broadcast that was the default one.
      const defaultBroadcast = old.broadcast === cidrBroadcast(ipv4CidrOrThrow(old.address as Ipv4Address, old.prefixLength));
      primary = replaceAddress(ns, dev, primary, old.address, prefix.value);
      if (!defaultBroadcast) primary.broadcast = old.broadcast;
      primary.scope = old.scope;
    }
  }
  if (change.broadcast !== undefined && primary !== undefined) primary.broadcast = change.broadcast;
  if (change.mtu !== undefined) dev.setMtu(change.mtu);
  if (change.address !== undefined && change.address !== 0) setUp(ns, dev, true);
  if (change.up !== undefined) setUp(ns, dev, change.up);
}

export const ifconfigCommand: CommandHandler = (argv, ctx) => {
  let all = false;
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith("-"); i++) {
    const opt = argv[i]!;
    if (opt === "-a") all = true;
    else if (opt === "-v") continue;
    else if (opt === "-s") notSimulated("ifconfig -s");
    else if (opt === "-h" || opt === "--help") notSimulated("ifconfig --help");
    else fail(`ifconfig: option \`${opt}' not recognised.\n${USAGE_HINT}`, 1);
  }
  const [name, ...args] = argv.slice(i);
  if (name === undefined) {
    const devices = ctx.ns.deviceList().sort((a, b) => naturalCompare(a.name, b.name));
    for (const dev of devices) if (all || interfaceFlags(dev, ctx.ns) & IFF.UP) ctx.out.push(...block(dev, ctx));
    return 0;
  }
  const dev = ctx.ns.device(name);
  if (args.length === 0) {
    if (dev === undefined) fail(`${name}: error fetching interface information: Device not found`, 1);
    ctx.out.push(...block(dev, ctx));
    return 0;
  }
  const change = parseChange(args);
  if (dev === undefined) missingDevice(name, change);
  const willHaveAddress = change.address !== undefined ? change.address !== 0 : dev.addresses.length > 0;
  if (!willHaveAddress && change.netmask !== undefined) fail("SIOCSIFNETMASK: Cannot assign requested address", 1);
  if (!willHaveAddress && change.broadcast !== undefined) fail("SIOCSIFBRDADDR: Cannot assign requested address", 1);
  apply(ctx, dev, change);
  return 0;
};
