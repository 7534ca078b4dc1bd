/**
 * `ip tuntap` (iproute2 6.1, ip/iptuntap.c): TUN devices made and removed
 * through /dev/net/tun, as `ip tuntap add dev tun0 mode tun` does it: the
 * device is persistent and no process holds it open, so it has no carrier
 * (NO-CARRIER, state DOWN, its routes `linkdown`) until one would. `list`
 * (`show`, `lst`) prints every TUN device with its flags, flannel0 (held by
 * flanneld, not persistent) included. TAP mode and the pi, one_queue,
 * vnet_hdr and multi_queue flags say they are not simulated.
 * Messages and exit codes are those captured from iproute2 6.1.
 */
import { PointToPoint } from "../link/point-to-point.js";
import { fail, type CommandContext } from "./command-context.js";
import { ArgReader, matches } from "./ip-args.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

const USAGE = [
  "Usage: ip tuntap { add | del | show | list | lst | help } [ dev PHYS_DEV ]",
  "       [ mode { tun | tap } ] [ user USER ] [ group GROUP ]",
  "       [ one_queue ] [ pi ] [ vnet_hdr ] [ multi_queue ] [ name NAME ]",
  "",
  "Where: USER  := { STRING | NUMBER }",
  "       GROUP := { STRING | NUMBER }",
].join("\n");

interface TuntapArgs {
  dev: string | null;
  mode: "tun" | "tap" | null;
  user: string | null;
  group: string | null;
}

/** A user or group as the kernel stores it: a number (root's is 0; other names are not known here). */
function owner(value: string, what: "user" | "group"): string {
  if (/^\d+$/.test(value)) return String(Number(value));
  if (value === "root") return "0";
  return notSimulated(`ip tuntap ${what} ${value}`);
}

function parse(args: ArgReader): TuntapArgs {
  const t: TuntapArgs = { dev: null, mode: null, user: null, group: null };
  while (!args.done) {
    const a = args.take();
    if (a === "mode") {
      const m = args.value();
      if (m !== "tun" && m !== "tap") fail(`Unknown tunnel mode "${m}"`, 255);
      t.mode = m as "tun" | "tap";
    } else if (a === "user") t.user = owner(args.value(), "user");
    else if (a === "group") t.group = owner(args.value(), "group");
    else if (["pi", "one_queue", "vnet_hdr", "multi_queue"].includes(a)) notSimulated(`ip tuntap ... ${a}`);
    else {
      const name = a === "dev" || a === "name" ? args.value() : a;
      if (t.dev !== null) fail(`Error: either "dev" is duplicate, or "${name}" is a garbage.`, 255);
      t.dev = name;
    }
  }
  if (t.mode === null) fail("You failed to specify a tunnel mode", 1);
  if (t.mode === "tap") notSimulated("ip tuntap ... mode tap");
  return t;
}

/** tun_set_iff on a new name: a persistent TUN device, MTU 1500, held by no process. */
function add(args: ArgReader, ctx: CommandContext): number {
  const t = parse(args);
  const { ns, net } = ctx;
  // dev_alloc_name("tun%d") when no name is given.
  let name = t.dev;
  for (let i = 0; name === null; i++) if (ns.device(`tun${i}`) === undefined) name = `tun${i}`;
  if (ns.device(name) !== undefined) fail("ioctl(TUNSETIFF): Device or resource busy", 1);
  const full = net.quota.check({ devices: 1 });
  if (full !== null) limitReached(full, 1);
  const dev = new PointToPoint(net.ctx, ns, ns.allocIfindex(), name, 1500, "tun");
  dev.tun = { persist: true, attached: false, user: t.user, group: t.group };
  ns.attach(dev);
  return 0;
}

/** TUNSETPERSIST 0: the device goes with the last reference; a name that is no TUN device changes nothing. */
function del(args: ArgReader, ctx: CommandContext): number {
  const t = parse(args);
  const dev = t.dev === null ? undefined : ctx.ns.device(t.dev);
  if (!(dev instanceof PointToPoint) || dev.tun === null) return 0;
  // A daemon holds it open (flannel0): the ioctl cannot take the device.
  if (dev.tun.attached) fail("ioctl(TUNSETIFF): Device or resource busy", 1);
  ctx.ns.setUp(dev, false);
  ctx.ns.detach(dev);
  dev.dispose();
  return 0;
}

function list(ctx: CommandContext): number {
  for (const dev of ctx.ns.deviceList()) {
    if (!(dev instanceof PointToPoint) || dev.tun === null) continue;
    const f = dev.tun;
    ctx.out.push(`${dev.name}: tun${f.persist ? " persist" : ""}${f.user !== null ? ` user ${f.user}` : ""}${f.group !== null ? ` group ${f.group}` : ""}`);
  }
  return 0;
}

export function ipTuntap(argv: string[], ctx: CommandContext): number {
  const args = new ArgReader(argv);
  const cmd = args.done ? "show" : args.take();
  if (matches(cmd, "add")) return add(args, ctx);
  if (matches(cmd, "delete")) return del(args, ctx);
  if (matches(cmd, "show") || matches(cmd, "list") || cmd === "lst") return list(ctx);
  if (matches(cmd, "help")) fail(USAGE, 255);
  return fail(`Command "${cmd}" is unknown, try "ip tuntap help".`, 255);
}
