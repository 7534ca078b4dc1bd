/**
 * `ip address`: list a namespace's devices with their addresses (also -br and
 * -4/-6), and add, change, replace, delete or flush IPv4 addresses.
 *
 * Listing rules from iproute2 and the kernel: addresses a device gets from the
 * same subnet after a first one are "secondary" and listed after the primary
 * ones; `brd` is printed only when the address has one (Docker sets it, a bare
 * `ip addr add` does not); the loopback's own 127.0.0.1 never has one.
 */
import type { Device, InterfaceAddress } from "../link/device.js";
import { isLimitReached } from "../object-quota.js";
import { cidrBroadcast, formatIpv4, ipv4CidrOrThrow, prefixMask, type Ipv4Address } from "../wire/ipv4-address.js";
import { fail, type CommandContext } from "./command-context.js";
import { ArgReader, garbage, kernelError, matches, parseAddressArg, parsePrefixArg, selectDevices } from "./ip-args.js";
import { linkAddressLine, linkDetailLines, linkHeader, linkHeaderInet6, linkStatsLines, matchesLinkType, nameWithPeer } from "./ip-link-format.js";
import type { IpOptions } from "./ip-options.js";
import { ipv6Addresses } from "./ipv6-link-local.js";
import { IFF, interfaceFlags, operState } from "./link-flags.js";
import { linkNetnsLabel } from "./link-peer.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

const LIFETIME = "       valid_lft forever preferred_lft forever";

function sameSubnet(a: InterfaceAddress, b: InterfaceAddress): boolean {
  const mask = prefixMask(a.prefixLength);
  return a.prefixLength === b.prefixLength && ((a.address & mask) >>> 0) === ((b.address & mask) >>> 0);
}

/** The device's IPv4 addresses in kernel list order, each marked primary or secondary. */
export function orderedAddresses(dev: Device): { ia: InterfaceAddress; secondary: boolean }[] {
  const marked = dev.addresses.map((ia, i) => ({ ia, secondary: dev.addresses.slice(0, i).some((prev) => sameSubnet(prev, ia)) }));
  return [...marked.filter((m) => !m.secondary), ...marked.filter((m) => m.secondary)];
}

function inetLine(dev: Device, ia: InterfaceAddress, secondary: boolean): string {
  const brd = ia.broadcast !== 0 && dev.kind !== "loopback" ? ` brd ${formatIpv4(ia.broadcast)}` : "";
  return `    inet ${formatIpv4(ia.address)}/${ia.prefixLength}${brd} scope ${ia.scope}${secondary ? " secondary" : ""} ${dev.name}`;
}

function deviceBlock(dev: Device, ctx: CommandContext, opts: IpOptions): string[] {
  const inet = opts.family !== 6 ? orderedAddresses(dev) : [];
  const inet6 = opts.family !== 4 ? ipv6Addresses(dev) : [];
  if (opts.brief) {
    const addrs = [...inet.map((a) => `${formatIpv4(a.ia.address)}/${a.ia.prefixLength} `), ...inet6.map((a) => `${a.address}/${a.prefixLength} `)];
    return [`${nameWithPeer(dev, ctx).padEnd(16)} ${operState(dev, ctx.ns).padEnd(14)} ${addrs.join("")}`];
  }
  const lines: string[] = [];
  if (opts.family === 6) {
    lines.push(linkHeaderInet6(dev, ctx));
  } else if (opts.family === 4) {
    // With -4 the link line is not printed, but its netns attribute still is, on the header.
    const netns = linkNetnsLabel(dev, ctx.host, ctx.ns);
    lines.push(linkHeader(dev, ctx, { mode: false }) + (netns !== null ? ` ${netns}` : ""));
  } else {
    lines.push(linkHeader(dev, ctx, { mode: false }));
    const linkLine = linkAddressLine(dev, ctx, opts.details);
    lines.push(...(opts.details ? linkDetailLines(dev, linkLine, ctx.net.scheduler.now) : [linkLine]));
    if (opts.stats > 0) lines.push(...linkStatsLines(dev, opts.stats));
  }
  for (const a of inet) lines.push(inetLine(dev, a.ia, a.secondary), LIFETIME);
  for (const a of inet6) lines.push(`    inet6 ${a.address}/${a.prefixLength} scope ${a.scope} `, LIFETIME);
  return lines;
}

function show(args: ArgReader, ctx: CommandContext, opts: IpOptions): number {
  let devName: string | undefined;
  let upOnly = false;
  let type: string | undefined;
  while (!args.done) {
    const a = args.take();
    if (a === "up") upOnly = true;
    else if (a === "type") type = args.value();
    else {
      const name = a === "dev" ? args.value() : a;
      if (devName !== undefined) garbage("dev", name);
      devName = name;
    }
  }
  const devices = selectDevices(ctx, devName);
  for (const dev of devices) {
    if (upOnly && !(interfaceFlags(dev, ctx.ns) & IFF.UP)) continue;
    if (type !== undefined && !matchesLinkType(dev, type)) continue;
    if (opts.family === 4 && dev.addresses.length === 0) continue;
    if (opts.family === 6 && ipv6Addresses(dev).length === 0) continue;
    ctx.out.push(...deviceBlock(dev, ctx, opts));
  }
  return 0;
}

interface AddressRequest {
  dev: Device;
  local: { address: number; prefixLength: number; explicitLength: boolean };
  broadcast: number | "+" | undefined;
  scope: InterfaceAddress["scope"] | undefined;
}

const SCOPES: Record<string, InterfaceAddress["scope"]> = { host: "host", link: "link", global: "global", universe: "global" };

function parseRequest(args: ArgReader, ctx: CommandContext): AddressRequest {
  let local: AddressRequest["local"] | undefined;
  let devName: string | undefined;
  let broadcast: AddressRequest["broadcast"];
  let scope: AddressRequest["scope"];
  while (!args.done) {
    const a = args.take();
    if (a === "broadcast" || a === "brd") {
      const v = args.value();
      broadcast = v === "+" ? "+" : v === "-" ? undefined : parseAddressArg(v, "inet");
    } else if (a === "scope") {
      const v = args.value();
      scope = SCOPES[v];
      if (scope === undefined) fail(`Error: argument "${v}" is wrong: invalid scope value.`, 255);
    } else if (a === "dev") {
      devName = args.value();
    } else if (a === "label") {
      args.value();
    } else if (a === "peer" || a === "remote" || a === "anycast" || a === "valid_lft" || a === "preferred_lft") {
      notSimulated(`ip address ... ${a}`);
    } else {
      const text = a === "local" ? args.value() : a;
      if (local !== undefined) garbage("local", text);
      const p = parsePrefixArg(text, "any valid");
      local = { ...p, explicitLength: text.includes("/") };
    }
  }
  if (devName === undefined) fail(`Not enough information: "dev" argument is required.`, 1);
  const dev = ctx.ns.device(devName);
  if (dev === undefined) fail(`Cannot find device "${devName}"`, 1);
  if (local === undefined) kernelError("RTNETLINK answers: Operation not supported");
  return { dev, local, broadcast, scope };
}

/** Applies brd/scope the way the request carried them; without `brd` an address has no broadcast. */
function applyAttributes(ia: InterfaceAddress, req: AddressRequest): void {
  if (req.broadcast === "+") ia.broadcast = ia.prefixLength >= 31 ? 0 : cidrBroadcast(ipv4CidrOrThrow(ia.address as Ipv4Address, ia.prefixLength));
  else ia.broadcast = req.broadcast ?? 0;
  if (req.scope !== undefined) ia.scope = req.scope;
}

function add(args: ArgReader, ctx: CommandContext, replace: boolean): number {
  const req = parseRequest(args, ctx);
  const { dev, local } = req;
  const existing = dev.addresses.find((a) => a.address === local.address && a.prefixLength === local.prefixLength);
  if (existing !== undefined) {
    if (!replace) kernelError("Error: ipv4: Address already assigned.");
    applyAttributes(existing, req);
    return 0;
  }
  const refused = ctx.ns.addAddress(dev, local.address, local.prefixLength);
  if (refused === "EEXIST") kernelError("Error: ipv4: Address already assigned.");
  if (isLimitReached(refused)) limitReached(refused, 2);
  applyAttributes(dev.addresses[dev.addresses.length - 1]!, req);
  return 0;
}

function del(args: ArgReader, ctx: CommandContext): number {
  const { dev, local } = parseRequest(args, ctx);
  if (!local.explicitLength) {
    ctx.out.push(
      "Warning: Executing wildcard deletion to stay compatible with old scripts.",
      `         Explicitly specify the prefix length (${formatIpv4(local.address)}/32) to avoid this warning.`,
      "         This special behaviour is likely to disappear in further releases,",
      "         fix your scripts!",
    );
  }
  if (ctx.ns.delAddress(dev, local.address, local.explicitLength ? local.prefixLength : null) !== null) kernelError("Error: ipv4: Address not found.");
  return 0;
}

function flush(args: ArgReader, ctx: CommandContext): number {
  if (args.done) fail("Flush requires arguments.", 1);
  let devName: string | undefined;
  while (!args.done) {
    const a = args.take();
    const name = a === "dev" ? args.value() : a;
    if (devName !== undefined) garbage("dev", name);
    devName = name;
  }
  const dev = ctx.ns.device(devName!);
  if (dev === undefined) fail(`Device "${devName}" does not exist.`, 1);
  for (const ia of [...dev.addresses]) ctx.ns.delAddress(dev, ia.address, ia.prefixLength);
  return 0;
}

export function ipAddress(argv: string[], ctx: CommandContext, opts: IpOptions): number {
  const args = new ArgReader(argv);
  const cmd = args.done ? "show" : args.take();
  if (matches(cmd, "show") || matches(cmd, "list") || matches(cmd, "lst")) return show(args, ctx, opts);
  if (matches(cmd, "add")) return add(args, ctx, false);
  if (matches(cmd, "change") || matches(cmd, "replace")) return add(args, ctx, true);
  if (matches(cmd, "delete")) return del(args, ctx);
  if (matches(cmd, "flush")) return flush(args, ctx);
  fail(`Command "${cmd}" is unknown, try "ip address help".`, 255);
}
