/**
 * `ip link`: list devices; change one (up/down, mtu, name, address,
 * master/nomaster, netns); create a bridge, a veth pair, a VXLAN or a dummy
 * device, and delete devices.
 *
 * iproute2 reads all arguments first (a bad value ends the command with exit
 * 255 before anything is sent), then looks the device up (exit 1), then the
 * kernel validates (exit 2); nothing changes until all three passed.
 */
import { Bridge } from "../link/bridge.js";
import type { Device } from "../link/device.js";
import { Dummy } from "../link/dummy.js";
import { Veth } from "../link/veth.js";
import { Vxlan } from "../link/vxlan.js";
import type { NetNamespace } from "../stack/namespace.js";
import { attachVxlan } from "../stack/vxlan-tunnel.js";
import { parseIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandContext } from "./command-context.js";
import { masterBridge } from "./bridge-port.js";
import { ArgReader, garbage, invalidArgument, kernelError, lladdrArg, matches, rtnetlink, selectDevices } from "./ip-args.js";
import { linkAddressLine, linkDetailLines, linkHeader, linkStatsLines, matchesLinkType, nameWithPeer } from "./ip-link-format.js";
import type { IpOptions } from "./ip-options.js";
import { IFF, interfaceFlags, iproute2Flags, operState } from "./link-flags.js";
import { mtuBounds } from "./link-kind.js";
import { isNamedNamespace } from "./link-peer.js";
import { assertNever } from "../trace/trace-event.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

function show(args: ArgReader, ctx: CommandContext, opts: IpOptions): number {
  let devName: string | undefined;
  let upOnly = false;
  let type: string | undefined;
  let master: string | undefined;
  while (!args.done) {
    const a = args.take();
    if (a === "up") upOnly = true;
    else if (a === "type") type = args.value();
    else if (a === "master") master = args.value();
    else {
      const name = a === "dev" ? args.value() : a;
      if (devName !== undefined) garbage("dev", name);
      devName = name;
    }
  }
  const devices = selectDevices(ctx, devName);
  if (master !== undefined && ctx.ns.device(master) === undefined) fail(`Device "${master}" does not exist.`, 1);
  for (const dev of devices) {
    if (upOnly && !(interfaceFlags(dev, ctx.ns) & IFF.UP)) continue;
    if (type !== undefined && !matchesLinkType(dev, type)) continue;
    if (master !== undefined && dev.master?.name !== master) continue;
    if (opts.brief) {
      ctx.out.push(`${nameWithPeer(dev, ctx).padEnd(16)} ${operState(dev, ctx.ns).padEnd(14)} ${dev.mac} ${iproute2Flags(dev, ctx.ns)} `);
      continue;
    }
    ctx.out.push(linkHeader(dev, ctx, { mode: true }));
    const linkLine = linkAddressLine(dev, ctx, opts.details);
    ctx.out.push(...(opts.details ? linkDetailLines(dev, linkLine, ctx.net.scheduler.now) : [linkLine]));
    if (opts.stats > 0) ctx.out.push(...linkStatsLines(dev, opts.stats));
  }
  return 0;
}

/** get_integer(): a C long in any base, or null. */
function parseInteger(text: string): number | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.exec(text);
  if (m === null) return null;
  const body = m[2]!;
  const n = /^0[xX]/.test(body) ? parseInt(body.slice(2), 16) : body.length > 1 && body.startsWith("0") ? parseInt(body.slice(1), 8) : parseInt(body, 10);
  return m[1] === "-" ? -n : n;
}

/** `ip link set ... netns NAME|PID`: a named namespace, or PID 1 for the host's own. */
function targetNamespace(ctx: CommandContext, value: string): NetNamespace {
  const named = ctx.host.namespaces.get(value);
  if (named !== undefined && isNamedNamespace(ctx.host, named)) return named;
  if (parseInteger(value) === 1) return ctx.host.root;
  invalidArgument(`Invalid "netns" value\n`, value);
}

interface LinkChange {
  up?: boolean;
  mtu?: number;
  master?: Bridge | null;
  netns?: NetNamespace;
  name?: string;
  address?: string;
}

/** iproute2's check_ifname: not empty, shorter than IFNAMSIZ, no '/' and no white space. */
function validIfname(name: string): boolean {
  return name !== "" && name.length < 16 && !/[/\s]/.test(name);
}

/** The kernel's dev_valid_name refuses what check_ifname lets through: "." and "..", and ':'. */
function kernelValidName(name: string): boolean {
  return name !== "." && name !== ".." && !name.includes(":");
}

/** is_valid_ether_addr: neither multicast (the group bit of the first byte) nor all zeros. */
function validEtherAddress(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 0 && mac !== "00:00:00:00:00:00";
}

/** The length of the link-layer address a device has (IFLA_ADDRESS), as iproute2 asks it before changing it; null when it has none. */
function addressLength(dev: Device): number | null {
  switch (dev.kind) {
    case "tun":
      return null;
    case "ipip":
      return 4;
    case "loopback":
    case "veth":
    case "bridge":
    case "nic":
    case "vxlan":
    case "dummy":
      return 6;
    default:
      return assertNever(dev.kind);
  }
}

function set(args: ArgReader, ctx: CommandContext): number {
  let devName: string | undefined;
  const change: LinkChange = {};
  let masterDevice: Device | undefined;
  while (!args.done) {
    const a = args.take();
    if (a === "up") change.up = true;
    else if (a === "down") change.up = false;
    else if (a === "mtu") {
      const v = args.value();
      const mtu = parseInteger(v);
      if (mtu === null) invalidArgument(`Invalid "mtu" value\n`, v);
      change.mtu = mtu;
    } else if (a === "master") {
      const v = args.value();
      masterDevice = ctx.ns.device(v);
      if (masterDevice === undefined) invalidArgument("Device does not exist\n", v);
    } else if (a === "nomaster") {
      change.master = null;
    } else if (a === "netns") {
      change.netns = targetNamespace(ctx, args.value());
    } else if (a === "name") {
      const v = args.value();
      if (!validIfname(v)) invalidArgument(`"name" not a valid ifname`, v);
      change.name = v;
    } else if (a === "address") {
      change.address = lladdrArg(args.value());
    } else if (["arp", "multicast", "allmulticast", "promisc", "txqueuelen", "txqlen", "qlen", "alias", "vf", "type", "group", "state", "mode", "link", "xdp"].includes(a)) {
      notSimulated(`ip link set ... ${a}`);
    } else {
      const name = a === "dev" ? args.value() : a;
      if (devName !== undefined) garbage("dev", name);
      devName = name;
    }
  }
  if (devName === undefined) fail(`Not enough information: "dev" argument is required.`, 255);
  const dev = ctx.ns.device(devName);
  if (dev === undefined) fail(`Cannot find device "${devName}"`, 1);
  if (masterDevice !== undefined) {
    if (!(masterDevice instanceof Bridge) || masterDevice === dev) rtnetlink("Operation not supported");
    change.master = masterDevice;
  }
  if (change.address !== undefined) {
    // iproute2 compares the new address's length with the device's before sending it.
    const length = addressLength(dev);
    const given = change.address.split(":").length;
    if (length !== null && given !== length) fail(`Invalid address length ${given} - must be ${length} bytes`, 1);
    if (dev.kind === "nic") notSimulated("ip link set ... address (a physical NIC)");
    // A TUN device's netdev_ops have no ndo_set_mac_address.
    if (dev.kind === "tun") rtnetlink("Operation not supported");
    if (!validEtherAddress(change.address)) rtnetlink("Cannot assign requested address");
  }
  if (change.mtu !== undefined) {
    // dev_validate_mtu: the MTU is an int, and a max_mtu of 0 sets no upper bound.
    const bounds = mtuBounds(dev);
    if (change.mtu < 0 || change.mtu < bounds.min) kernelError("Error: mtu less than device minimum.");
    if (bounds.max > 0 && change.mtu > bounds.max) kernelError("Error: mtu greater than device maximum.");
  }
  if (change.netns !== undefined && dev.kind === "loopback") rtnetlink("Invalid argument");
  if (change.name !== undefined && change.netns !== undefined && change.netns !== ctx.ns) notSimulated("ip link set ... netns ... name");
  if (change.name !== undefined && change.name !== dev.name) {
    // The stack finds lo by its name for every local delivery; Linux would rename it, the simulator cannot.
    if (dev.kind === "loopback") notSimulated("ip link set lo name");
    if (!kernelValidName(change.name)) rtnetlink("Invalid argument");
    if (change.name.includes("%")) {
      const allocated = allocName(ctx.ns, change.name);
      if (allocated === null) rtnetlink("Invalid argument");
      change.name = allocated;
    } else if (ctx.ns.device(change.name) !== undefined) rtnetlink("File exists");
  }
  // dev_change_net_namespace: the name must be free in the target.
  if (change.netns !== undefined && change.netns !== ctx.ns && change.netns.device(dev.name) !== undefined) rtnetlink("File exists");
  apply(ctx, dev, change);
  return 0;
}

function apply(ctx: CommandContext, dev: Device, change: LinkChange): void {
  const moving = change.netns !== undefined && change.netns !== ctx.ns;
  // Up first: the one change the kernel may still refuse (the routes of the device's addresses
  // would pass the session's limit), so that a refusal changes nothing.
  if (change.up === true && !moving) {
    const refused = ctx.ns.setUp(dev, true);
    if (refused !== null) limitReached(refused, 2);
  }
  // do_setlink's order: the address, the MTU, then the name.
  if (change.address !== undefined) ctx.ns.setDeviceAddress(dev, change.address);
  if (change.mtu !== undefined) dev.setMtu(change.mtu);
  if (change.name !== undefined) ctx.ns.renameDevice(dev, change.name);
  if (change.master !== undefined) {
    const current = masterBridge(dev);
    if (current !== change.master) {
      current?.release(dev);
      change.master?.enslave(dev);
    }
  }
  if (moving) {
    moveToNamespace(ctx.ns, dev, change.netns!);
    return;
  }
  if (change.up === false) ctx.ns.setUp(dev, false);
}

/**
 * dev_change_net_namespace: the device is closed, leaves its bridge, loses its
 * addresses and routes, and reappears down in the target. (The kernel keeps
 * the ifindex when it is free there; the model's ifindex counter cannot skip
 * taken numbers, so the device gets the target's next one.)
 */
function moveToNamespace(from: NetNamespace, dev: Device, to: NetNamespace): void {
  from.setUp(dev, false);
  masterBridge(dev)?.release(dev);
  for (const ia of [...dev.addresses]) from.delAddress(dev, ia.address, ia.prefixLength);
  from.detach(dev);
  dev.ifindex = to.allocIfindex();
  to.attach(dev);
}

/** `type vxlan` arguments (ip/iplink_vxlan.c), as far as the simulator models them. */
interface VxlanArgs {
  vni: number | null;
  port: number | null;
  local: number;
  remote: number;
  dev: string;
  learning: boolean;
}

function vxlanArgs(args: ArgReader): VxlanArgs {
  const v: VxlanArgs = { vni: null, port: null, local: 0, remote: 0, dev: "", learning: true };
  const address = (what: string, text: string): number => {
    const r = parseIpv4(text);
    if (!r.ok) invalidArgument(`invalid ${what} address`, text);
    return r.ok ? r.value : 0;
  };
  while (!args.done) {
    const a = args.take();
    if (a === "id" || a === "vni") {
      const t = args.value();
      if (!/^\d+$/.test(t) || Number(t) >= 1 << 24) invalidArgument("invalid id", t);
      v.vni = Number(t);
    } else if (a === "dstport") {
      const t = args.value();
      if (!/^\d+$/.test(t) || Number(t) > 65535) invalidArgument("invalid dstport", t);
      v.port = Number(t);
    } else if (a === "local") v.local = address("local", args.value());
    else if (a === "remote") v.remote = address("remote", args.value());
    else if (a === "dev") v.dev = args.value();
    else if (a === "nolearning") v.learning = false;
    else if (a === "learning") v.learning = true;
    else notSimulated(`ip link add ... type vxlan ${a}`);
  }
  return v;
}

/** A VXLAN device as `ip link add NAME type vxlan id N …` makes it: MTU 50 below its underlay's, the remote as the all-zero FDB entry. */
function addVxlan(ctx: CommandContext, given: string | undefined, mac: string | undefined, v: VxlanArgs): number {
  if (v.vni === null) fail("vxlan: missing virtual network identifier", 1);
  const underlay = v.dev === "" ? undefined : ctx.ns.device(v.dev);
  if (v.dev !== "" && underlay === undefined) fail(`Cannot find device "${v.dev}"`, 1);
  if (v.port === null) {
    ctx.out.push(
      "vxlan: destination port not specified",
      "Will use Linux kernel default (non-standard value)",
      "Use 'dstport 4789' to get the IANA assigned value",
      "Use 'dstport 0' to get default and quiet this message",
    );
  }
  if (given !== undefined && given.length > 15) kernelError("Error: Attribute failed policy validation.");
  if (given !== undefined && ctx.ns.device(given) !== undefined) rtnetlink("File exists");
  const name = allocName(ctx.ns, given ?? "vxlan%d");
  if (name === null) rtnetlink("Invalid argument");
  const net = ctx.net;
  const full = net.quota.check({ devices: 1, fdbEntries: v.remote !== 0 ? 1 : 0 });
  if (full !== null) limitReached(full, 2);
  const port = v.port === null || v.port === 0 ? 8472 : v.port;
  const dev = new Vxlan(net.ctx, ctx.ns, ctx.ns.allocIfindex(), name, mac ?? net.random.mac(), underlay !== undefined ? underlay.mtu - 50 : 1500, {
    vni: v.vni!,
    port,
    local: v.local,
    underlay: v.dev,
    learning: v.learning,
  });
  ctx.ns.attach(dev);
  attachVxlan(ctx.ns, dev);
  if (v.remote !== 0) dev.setRemote("00:00:00:00:00:00", v.remote);
  return 0;
}

function add(args: ArgReader, ctx: CommandContext): number {
  let name: string | undefined;
  let type: string | undefined;
  let mac: string | undefined;
  let peerName: string | undefined;
  let vxlan: VxlanArgs | undefined;
  while (!args.done) {
    const a = args.take();
    if (a === "type") {
      type = args.value();
      if (type === "vxlan") vxlan = vxlanArgs(args);
      // iproute2's dummy link_util has no parse_opt: whatever follows `type dummy` is read by nothing.
      if (type === "dummy") args.rest();
      if (type === "veth" && args.peek() === "peer") {
        args.take();
        while (!args.done) {
          const p = args.take();
          if (p === "name") peerName = args.value();
          else notSimulated(`ip link add ... peer ${p}`);
        }
      }
    } else if (a === "address") {
      mac = lladdrArg(args.value());
      if (mac.split(":").length !== 6) rtnetlink("Invalid argument");
    } else if (a === "link" || a === "mtu" || a === "txqueuelen" || a === "numtxqueues" || a === "netns") {
      notSimulated(`ip link add ... ${a}`);
    } else {
      const n = a === "name" || a === "dev" ? args.value() : a;
      if (name !== undefined) garbage("name", n);
      name = n;
    }
  }
  if (type === undefined) fail(`Not enough information: "type" argument is required`, 1);
  if (type === "vxlan") return addVxlan(ctx, name, mac, vxlan!);
  // The kernel makes TUN/TAP devices only through /dev/net/tun (ip tuntap), never through rtnetlink.
  if (type === "tun" || type === "tap") kernelError("Error: tun/tap creation via rtnetlink is not supported.");
  if (type !== "bridge" && type !== "veth" && type !== "dummy") {
    if (["macvlan", "ipvlan", "vlan", "bond", "gre", "ipip", "wireguard"].includes(type)) notSimulated(`ip link add ... type ${type}`);
    kernelError("Error: Unknown device type.");
  }
  // IFNAMSIZ: the kernel's netlink policy refuses names of 16 bytes or more.
  if ((name !== undefined && name.length > 15) || (peerName !== undefined && peerName.length > 15)) kernelError("Error: Attribute failed policy validation.");
  // rtnl_newlink loads the kind's module before anything else is checked.
  if (type === "dummy") {
    const loaded = ctx.host.loadDummyModule();
    if (loaded === "failed") kernelError("Error: Unknown device type.");
    if (loaded !== "loaded") limitReached(loaded, 2);
  }
  // The kind's validate (veth_validate, br_validate, dummy_validate) comes before the name is looked up.
  if (mac !== undefined && !validEtherAddress(mac)) rtnetlink("Cannot assign requested address");
  if (name !== undefined && ctx.ns.device(name) !== undefined) rtnetlink("File exists");
  const net = ctx.net;
  const full = net.quota.check({ devices: type === "veth" ? 2 : 1 });
  if (type === "bridge" || type === "dummy") {
    if (full !== null) limitReached(full, 2);
    const devName = allocName(ctx.ns, name ?? `${type}%d`);
    if (devName === null) rtnetlink("Invalid argument");
    const ifindex = ctx.ns.allocIfindex();
    const devMac = mac ?? net.random.mac();
    ctx.ns.attach(type === "bridge" ? new Bridge(net.ctx, ctx.ns, ifindex, devName, devMac) : new Dummy(net.ctx, ctx.ns, ifindex, devName, devMac));
    return 0;
  }
  const peer = allocName(ctx.ns, peerName ?? "veth%d");
  if (peer === null) rtnetlink("Invalid argument");
  if (peer === name || ctx.ns.device(peer) !== undefined) rtnetlink("File exists");
  // The kernel registers the peer first, so it gets the lower ifindex and the first free veth%d.
  const own = allocName(ctx.ns, name ?? "veth%d", [peer]);
  if (own === null) rtnetlink("Invalid argument");
  if (full !== null) limitReached(full, 2);
  const b = new Veth(net.ctx, ctx.ns, ctx.ns.allocIfindex(), peer, net.random.mac());
  const a = new Veth(net.ctx, ctx.ns, ctx.ns.allocIfindex(), own, mac ?? net.random.mac());
  Veth.pair(a, b);
  ctx.ns.attach(b);
  ctx.ns.attach(a);
  return 0;
}

/**
 * dev_prep_valid_name: a name with "%d" in it is a pattern, and the device
 * gets the first number free in the namespace (dev_alloc_name; `taken` are
 * names about to be registered). Any other '%' makes it invalid (null).
 */
function allocName(ns: NetNamespace, pattern: string, taken: readonly string[] = []): string | null {
  const at = pattern.indexOf("%");
  if (at < 0) return pattern;
  if (pattern[at + 1] !== "d" || pattern.includes("%", at + 2)) return null;
  for (let i = 0; ; i++) {
    const name = `${pattern.slice(0, at)}${i}${pattern.slice(at + 2)}`;
    if (ns.device(name) === undefined && !taken.includes(name)) return name;
  }
}

function del(args: ArgReader, ctx: CommandContext): number {
  let name: string | undefined;
  while (!args.done) {
    const a = args.take();
    const n = a === "dev" || a === "name" ? args.value() : a;
    if (name !== undefined) garbage("dev", n);
    name = n;
  }
  if (name === undefined) fail(`Not enough information: "dev" argument is required.`, 255);
  const dev = ctx.ns.device(name);
  if (dev === undefined) fail(`Cannot find device "${name}"`, 1);
  if (dev instanceof Veth) {
    ctx.host.destroyVeth(dev);
  } else if (dev instanceof Bridge) {
    ctx.ns.setUp(dev, false);
    for (const port of [...dev.ports]) dev.release(port);
    ctx.ns.detach(dev);
  } else if (dev instanceof Vxlan || dev instanceof Dummy) {
    ctx.ns.setUp(dev, false);
    masterBridge(dev)?.release(dev);
    ctx.ns.detach(dev);
    dev.dispose();
  } else {
    rtnetlink("Operation not supported");
  }
  return 0;
}

export function ipLink(argv: string[], ctx: CommandContext, opts: IpOptions): number {
  const args = new ArgReader(argv);
  const cmd = args.done ? "show" : args.take();
  if (matches(cmd, "add")) return add(args, ctx);
  if (matches(cmd, "delete")) return del(args, ctx);
  if (matches(cmd, "set") || matches(cmd, "change")) return set(args, ctx);
  if (matches(cmd, "show") || matches(cmd, "list") || matches(cmd, "lst")) return show(args, ctx, opts);
  fail(`Command "${cmd}" is unknown, try "ip link help".`, 255);
}
