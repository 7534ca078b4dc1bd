/**
 * A network namespace: its devices, addresses, routes, neighbours, sockets and
 * `net.ipv4.ip_forward`. Address and link changes keep the routing tables in
 * step the way the kernel does (fib_add_ifaddr / fib_disable_ip): an address
 * adds its local and broadcast routes, and its connected route while the
 * device is up; a device going down takes every route through it, static ones
 * included, which do not come back when it is set up again.
 *
 * Packet processing is in arp.ts, ipv4.ts, icmp.ts, tcp.ts and udp.ts; this
 * file owns the state they share.
 *
 * What the namespace holds counts against the session's object limits
 * (object-quota.ts): devices and their addresses here, routes, neighbours,
 * sockets and rules in their tables. An operation that would pass a limit
 * changes nothing and returns the limit; deleting the namespace releases
 * everything it held.
 */
import type { BridgeNetfilter, Device, InterfaceAddress, NamespaceLabel } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import { Loopback } from "../link/loopback.js";
import { ObjectQuota, type LimitReached, type ObjectCounts } from "../object-quota.js";
import { cidrBroadcast, cidrNetwork, ipv4CidrOrThrow, type Ipv4Address } from "../wire/ipv4-address.js";
import { NeighbourCache, neighbourKey } from "./neighbour-cache.js";
import { RouteTable, sameRoute, type Route } from "./route-table.js";
import { SocketTable } from "./sockets.js";
import type { StackContext } from "./stack-context.js";
import type { NeighbourPending } from "./arp.js";
import type { FragmentQueue } from "./ip-reassembly.js";
import { HostAddresses } from "./host-addresses.js";
import { Conntrack } from "./netfilter/conntrack.js";
import { Netfilter } from "./netfilter/tables.js";

export type AddressError = "EEXIST" | "EADDRNOTAVAIL";

/** The device an address is on, as the routes it implies need it. */
type AddressDevice = Pick<Device, "name" | "kind">;

/**
 * fib_add_ifaddr: the routes an address implies on a device that is up or
 * down. Loopback gets its whole prefix as local; every address its own local
 * /32 and its subnet's broadcast; a non-loopback device that is up the
 * connected route of the subnet.
 */
export function addressRoutes(dev: AddressDevice, ia: Pick<InterfaceAddress, "address" | "prefixLength">, up: boolean): Route[] {
  const cidr = ipv4CidrOrThrow(ia.address as Ipv4Address, ia.prefixLength);
  const base = { via: null, dev: dev.name, proto: "kernel" as const, src: ia.address, metric: 0, onlink: false };
  const isLo = dev.kind === "loopback";
  const routes: Route[] = [];
  if (isLo) routes.push({ ...base, table: "local", type: "local", dst: cidrNetwork(cidr), prefixLength: ia.prefixLength, scope: "host" });
  routes.push({ ...base, table: "local", type: "local", dst: ia.address, prefixLength: 32, scope: "host" });
  // The subnet's broadcast route follows from the prefix (fib_add_ifaddr), whether or not the address was given a `brd`.
  if (ia.prefixLength < 31) routes.push({ ...base, table: "local", type: "broadcast", dst: cidrBroadcast(cidr), prefixLength: 32, scope: "link" });
  if (!isLo && up && ia.prefixLength < 32) routes.push({ ...base, table: "main", type: "unicast", dst: cidrNetwork(cidr), prefixLength: ia.prefixLength, scope: "link" });
  return routes;
}

const LOOPBACK_ADDRESS = { address: 0x7f000001, prefixLength: 8 };

/** What a new namespace holds before anyone touches it: lo, 127.0.0.1/8 and that address's routes. */
export const NEW_NAMESPACE_OBJECTS: Partial<ObjectCounts> = {
  devices: 1,
  addresses: 1,
  routes: addressRoutes({ name: "lo", kind: "loopback" }, LOOPBACK_ADDRESS, true).length,
};

export class NetNamespace implements NamespaceLabel {
  readonly devices = new Map<string, Device>();
  readonly routes: RouteTable;
  readonly neigh: NeighbourCache;
  readonly sockets: SocketTable;
  /** Packets waiting for ARP, per neighbour key. */
  readonly pending = new Map<string, NeighbourPending[]>();
  /** net.ipv4.ip_forward, which is conf.all.forwarding (see `forwarding`). */
  private allForwarding = false;
  /** net.ipv4.conf.default.forwarding: what a device arriving in this namespace starts with. */
  defaultForwarding = false;
  /** net.ipv4.conf.all and .default: "all" combines with each device's own value as the kernel does (max or or); "default" is what sysctl shows. */
  readonly ipv4Conf = {
    all: { proxyArp: 0, rpFilter: 0, acceptLocal: 0, arpAnnounce: 0 },
    default: { proxyArp: 0, rpFilter: 0, acceptLocal: 0, arpAnnounce: 0 },
  };
  /** net.bridge.bridge-nf-call-iptables: bridged IPv4 frames pass iptables (bridge-netfilter.ts). */
  bridgeNfCallIptables = false;
  /** Set by the stack (ipv4.ts), like onFrame. */
  bridgeNetfilter: BridgeNetfilter | null = null;
  readonly netfilter: Netfilter;
  readonly conntrack = new Conntrack();
  /** Fragments waiting for the rest of their datagram (ip-reassembly.ts), per datagram key. */
  readonly fragments = new Map<string, FragmentQueue>();
  /** Bytes those fragments hold, against net.ipv4.ipfrag_high_thresh. */
  fragmentBytes = 0;
  private nextIfindex = 1;
  private nextIpId = 1;
  /** The session's quota while the namespace exists; a private, unread one once it is deleted. */
  private quota: ObjectQuota;
  /** The host's addresses (host-addresses.ts) while the namespace exists; a private, unread set once it is deleted. */
  private hostAddresses: HostAddresses;
  /**
   * Each address of this namespace's devices and the devices holding it, so
   * that isLocalAddress, asked for both ends of every packet each netfilter
   * hook sees, need not walk every device (a Docker host with fifty
   * containers has fifty-odd).
   */
  private readonly addressHolders = new Map<number, Device[]>();
  /** Set by the stack (ipv4.ts) to avoid an import cycle. */
  onFrame: (ns: NetNamespace, dev: Device, frame: Frame) => void = () => {};

  /** Whoever creates a namespace checks NEW_NAMESPACE_OBJECTS against the session's limits first. */
  constructor(
    readonly ctx: StackContext,
    readonly host: string,
    readonly name: string,
    hostAddresses: HostAddresses = new HostAddresses(),
  ) {
    this.quota = ctx.quota;
    this.hostAddresses = hostAddresses;
    this.routes = new RouteTable(ctx.quota);
    this.neigh = new NeighbourCache(ctx.quota);
    this.sockets = new SocketTable(ctx.quota);
    this.netfilter = new Netfilter(ctx.quota);
    const lo = new Loopback(ctx, this, this.allocIfindex());
    this.attach(lo);
    this.addAddress(lo, LOOPBACK_ADDRESS.address, LOOPBACK_ADDRESS.prefixLength);
    this.setUp(lo, true);
  }

  /**
   * net.ipv4.ip_forward (conf.all.forwarding). Writing a new value sets
   * conf.default and every device's forwarding too, and writing the value it
   * already has changes nothing (devinet's inet_forward_change); whether a
   * packet may be forwarded is the forwarding of the device it came in on.
   */
  get forwarding(): boolean {
    return this.allForwarding;
  }

  set forwarding(on: boolean) {
    if (on === this.allForwarding) return;
    this.allForwarding = on;
    this.defaultForwarding = on;
    for (const d of this.devices.values()) d.forwarding = on;
  }

  allocIfindex(): number {
    return this.nextIfindex++;
  }

  ipId(): number {
    const id = this.nextIpId;
    this.nextIpId = (this.nextIpId + 1) & 0xffff;
    return id;
  }

  /**
   * Moves a device into this namespace (creation, or `ip link set X netns`).
   * It counts against the device limit from here; whoever creates devices
   * checks the room for them before making them (so a refusal takes no
   * ifindex and draws no MAC).
   */
  attach(dev: Device): void {
    dev.ns = this;
    // A device entering a namespace gets a new in_device there, with that namespace's defaults.
    dev.forwarding = this.defaultForwarding;
    dev.deliverUp = (d, f) => this.onFrame(this, d, f);
    this.devices.set(dev.name, dev);
    this.quota.add("devices");
    this.quota.add("addresses", dev.addresses.length);
    for (const a of dev.addresses) this.holdAddress(dev, a.address);
  }

  /** The device leaves (deleted, or moved to another namespace): its routes and neighbours go, and it stops counting here. */
  detach(dev: Device): void {
    this.routes.remove((r) => r.dev === dev.name);
    this.neigh.removeDevice(dev.name);
    if (!this.devices.delete(dev.name)) return;
    this.quota.release("devices");
    this.quota.release("addresses", dev.addresses.length);
    for (const a of dev.addresses) this.releaseAddress(dev, a.address);
  }

  /** The namespace is deleted: everything in it stops counting, and nothing done to it later (frames still in flight) counts. */
  dispose(): void {
    for (const dev of this.devices.values()) {
      dev.dispose();
      this.quota.release("addresses", dev.addresses.length);
      for (const a of dev.addresses) this.releaseAddress(dev, a.address);
    }
    this.quota.release("devices", this.devices.size);
    this.routes.dispose();
    this.neigh.dispose();
    this.sockets.dispose();
    this.netfilter.dispose();
    this.quota = ObjectQuota.unlimited();
    this.hostAddresses = new HostAddresses();
  }

  device(name: string): Device | undefined {
    return this.devices.get(name);
  }

  /** Devices in ifindex order, as `ip link` lists them. */
  deviceList(): Device[] {
    return [...this.devices.values()].sort((a, b) => a.ifindex - b.ifindex);
  }

  /**
   * dev_change_name, once the caller has checked the new name is valid and
   * free (Linux 6.2 and later rename a device that is up too). The device
   * keeps everything it had: the kernel's routes and neighbours point at the
   * device, not at its name, so here they follow it, as do the entries its
   * bridge's FDB holds for it and VXLAN devices that name it as their
   * underlay. Rules that match an interface by name (iptables -i/-o) keep
   * the name they were written with, as in Linux.
   */
  renameDevice(dev: Device, name: string): void {
    const from = dev.name;
    if (from === name) return;
    this.devices.delete(from);
    dev.rename(name);
    this.devices.set(name, dev);
    this.routes.renameDevice(from, name);
    for (const e of this.neigh.list()) {
      const q = e.dev === from ? this.pending.get(neighbourKey(from, e.ip)) : undefined;
      if (q === undefined) continue;
      this.pending.delete(neighbourKey(from, e.ip));
      this.pending.set(neighbourKey(name, e.ip), q);
    }
    this.neigh.renameDevice(from, name);
    for (const d of this.devices.values()) d.lowerRenamed(from, name);
  }

  /**
   * dev_set_mac_address, once the caller has checked the address: the device
   * takes it (its bridge moves the port's own FDB entry), and the neighbour
   * entries on the device are flushed, permanent ones too (arp_netdev_event's
   * NETDEV_CHANGEADDR: neigh_changeaddr).
   */
  setDeviceAddress(dev: Device, mac: string): void {
    if (dev.mac === mac) return;
    dev.setMac(mac);
    this.neigh.removeDevice(dev.name);
  }

  /** Adds an address with the routes it implies; refused whole when either would pass the session's limits. */
  addAddress(dev: Device, address: number, prefixLength: number): AddressError | LimitReached | null {
    if (dev.addresses.some((a) => a.address === address && a.prefixLength === prefixLength)) return "EEXIST";
    const cidr = ipv4CidrOrThrow(address as Ipv4Address, prefixLength);
    const ia: InterfaceAddress = {
      address,
      prefixLength,
      broadcast: prefixLength >= 31 ? 0 : cidrBroadcast(cidr),
      scope: (address >>> 24) === 127 ? "host" : "global",
    };
    const routes = this.missingRoutes(addressRoutes(dev, ia, dev.adminUp));
    const full = this.quota.check({ addresses: 1, routes: routes.length });
    if (full !== null) return full;
    dev.addresses.push(ia);
    this.quota.add("addresses");
    this.holdAddress(dev, address);
    for (const r of routes) this.routes.add(r);
    return null;
  }

  delAddress(dev: Device, address: number, prefixLength: number | null): AddressError | null {
    const i = dev.addresses.findIndex((a) => a.address === address && (prefixLength === null || a.prefixLength === prefixLength));
    if (i < 0) return "EADDRNOTAVAIL";
    const [ia] = dev.addresses.splice(i, 1);
    this.quota.release("addresses");
    this.releaseAddress(dev, ia!.address);
    this.routes.remove((r) => r.dev === dev.name && r.src === ia!.address && r.proto === "kernel");
    return null;
  }

  /** Those of `routes` the tables do not have yet, each once. */
  private missingRoutes(routes: Route[]): Route[] {
    const out: Route[] = [];
    for (const r of routes) if (!this.routes.has(r) && !out.some((o) => sameRoute(o, r))) out.push(r);
    return out;
  }

  /**
   * `ip link set dev X up|down`, with the routing side effects Linux has.
   * Up brings back the routes of the device's addresses; refused, changing
   * nothing, when they would pass the session's route limit.
   */
  setUp(dev: Device, up: boolean): LimitReached | null {
    if (dev.adminUp === up) return null;
    if (up) {
      const routes = this.missingRoutes(dev.addresses.flatMap((ia) => addressRoutes(dev, ia, true)));
      const full = this.quota.check({ routes: routes.length });
      if (full !== null) return full;
      dev.adminUp = true;
      for (const r of routes) this.routes.add(r);
    } else {
      dev.adminUp = false;
      this.routes.remove((r) => r.dev === dev.name);
      this.neigh.flushDevice(dev.name);
      const master = dev.master as { portDown?: (d: Device) => void } | null;
      master?.portDown?.(dev);
    }
    return null;
  }

  /** True when added, false when the same route is there, the limit when the session has no room for it. */
  addRoute(r: Route): boolean | LimitReached {
    return this.routes.add(r);
  }

  /**
   * Whether the address is local here: a device holding it is up, or is the
   * loopback (the local table keeps an address's route while any device
   * holding it is up, fib_del_ifaddr).
   */
  isLocalAddress(address: number): boolean {
    const holders = this.addressHolders.get(address);
    if (holders === undefined) return false;
    for (const d of holders) if (d.adminUp || d.kind === "loopback") return true;
    return false;
  }

  /** Whether any device of this namespace has the address, up or not (the receive path's accept_local check, ARP's source choice). */
  holdsAddress(address: number): boolean {
    return this.addressHolders.has(address);
  }

  private holdAddress(dev: Device, address: number): void {
    this.hostAddresses.add(address);
    const holders = this.addressHolders.get(address);
    if (holders === undefined) this.addressHolders.set(address, [dev]);
    else holders.push(dev);
  }

  private releaseAddress(dev: Device, address: number): void {
    this.hostAddresses.remove(address);
    const holders = this.addressHolders.get(address);
    if (holders === undefined) return;
    const i = holders.indexOf(dev);
    if (i >= 0) holders.splice(i, 1);
    if (holders.length === 0) this.addressHolders.delete(address);
  }

  /** Source address selection: the route's src, else the device's primary address in the same subnet, else its first. */
  sourceFor(dev: Device, route: Route | null, dst: number): number {
    if (route?.src != null) return route.src;
    const same = dev.addresses.find((a) => ((a.address ^ dst) & (a.prefixLength === 0 ? 0 : (0xffffffff << (32 - a.prefixLength)))) === 0);
    if (same) return same.address;
    if (dev.addresses[0]) return dev.addresses[0].address;
    for (const d of this.deviceList()) for (const a of d.addresses) if (a.scope === "global") return a.address;
    return 0;
  }

  /** A route's device is usable for output while it is up. */
  routeUsable = (r: Route): boolean => {
    const d = this.devices.get(r.dev);
    return d !== undefined && d.adminUp;
  };
}
