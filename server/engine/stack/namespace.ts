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
 */
import type { BridgeNetfilter, Device, InterfaceAddress, NamespaceLabel } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import { Loopback } from "../link/loopback.js";
import { cidrBroadcast, cidrNetwork, ipv4CidrOrThrow, type Ipv4Address } from "../wire/ipv4-address.js";
import { NeighbourCache } from "./neighbour-cache.js";
import { RouteTable, type Route } from "./route-table.js";
import { SocketTable } from "./sockets.js";
import type { StackContext } from "./stack-context.js";
import type { NeighbourPending } from "./arp.js";
import type { FragmentQueue } from "./ip-reassembly.js";
import { Conntrack } from "./netfilter/conntrack.js";
import { Netfilter } from "./netfilter/tables.js";

export type AddressError = "EEXIST" | "EADDRNOTAVAIL";

export class NetNamespace implements NamespaceLabel {
  readonly devices = new Map<string, Device>();
  readonly routes = new RouteTable();
  readonly neigh = new NeighbourCache();
  readonly sockets = new SocketTable();
  /** Packets waiting for ARP, per neighbour key. */
  readonly pending = new Map<string, NeighbourPending[]>();
  forwarding = false;
  /** net.bridge.bridge-nf-call-iptables: bridged IPv4 frames pass iptables (bridge-netfilter.ts). */
  bridgeNfCallIptables = false;
  /** Set by the stack (ipv4.ts), like onFrame. */
  bridgeNetfilter: BridgeNetfilter | null = null;
  readonly netfilter = new Netfilter();
  readonly conntrack = new Conntrack();
  /** Fragments waiting for the rest of their datagram (ip-reassembly.ts), per datagram key. */
  readonly fragments = new Map<string, FragmentQueue>();
  /** Bytes those fragments hold, against net.ipv4.ipfrag_high_thresh. */
  fragmentBytes = 0;
  private nextIfindex = 1;
  private nextIpId = 1;
  /** Set by the stack (ipv4.ts) to avoid an import cycle. */
  onFrame: (ns: NetNamespace, dev: Device, frame: Frame) => void = () => {};

  constructor(
    readonly ctx: StackContext,
    readonly host: string,
    readonly name: string,
  ) {
    const lo = new Loopback(ctx, this, this.allocIfindex());
    this.attach(lo);
    this.addAddress(lo, 0x7f000001, 8);
    this.setUp(lo, true);
  }

  allocIfindex(): number {
    return this.nextIfindex++;
  }

  ipId(): number {
    const id = this.nextIpId;
    this.nextIpId = (this.nextIpId + 1) & 0xffff;
    return id;
  }

  /** Moves a device into this namespace (creation, or `ip link set X netns`). */
  attach(dev: Device): void {
    dev.ns = this;
    dev.deliverUp = (d, f) => this.onFrame(this, d, f);
    this.devices.set(dev.name, dev);
  }

  detach(dev: Device): void {
    this.routes.remove((r) => r.dev === dev.name);
    this.neigh.flushDevice(dev.name);
    this.devices.delete(dev.name);
  }

  device(name: string): Device | undefined {
    return this.devices.get(name);
  }

  /** Devices in ifindex order, as `ip link` lists them. */
  deviceList(): Device[] {
    return [...this.devices.values()].sort((a, b) => a.ifindex - b.ifindex);
  }

  addAddress(dev: Device, address: number, prefixLength: number): AddressError | null {
    if (dev.addresses.some((a) => a.address === address && a.prefixLength === prefixLength)) return "EEXIST";
    const cidr = ipv4CidrOrThrow(address as Ipv4Address, prefixLength);
    const ia: InterfaceAddress = {
      address,
      prefixLength,
      broadcast: prefixLength >= 31 ? 0 : cidrBroadcast(cidr),
      scope: (address >>> 24) === 127 ? "host" : "global",
    };
    dev.addresses.push(ia);
    this.addAddressRoutes(dev, ia);
    return null;
  }

  delAddress(dev: Device, address: number, prefixLength: number | null): AddressError | null {
    const i = dev.addresses.findIndex((a) => a.address === address && (prefixLength === null || a.prefixLength === prefixLength));
    if (i < 0) return "EADDRNOTAVAIL";
    const [ia] = dev.addresses.splice(i, 1);
    this.routes.remove((r) => r.dev === dev.name && r.src === ia!.address && r.proto === "kernel");
    return null;
  }

  private addAddressRoutes(dev: Device, ia: InterfaceAddress): void {
    const cidr = ipv4CidrOrThrow(ia.address as Ipv4Address, ia.prefixLength);
    const base = { via: null, dev: dev.name, proto: "kernel" as const, src: ia.address, metric: 0, onlink: false };
    const isLo = dev.kind === "loopback";
    if (isLo) this.routes.add({ ...base, table: "local", type: "local", dst: cidrNetwork(cidr), prefixLength: ia.prefixLength, scope: "host" });
    this.routes.add({ ...base, table: "local", type: "local", dst: ia.address, prefixLength: 32, scope: "host" });
    // The subnet's broadcast route follows from the prefix (fib_add_ifaddr), whether or not the address was given a `brd`.
    if (ia.prefixLength < 31) this.routes.add({ ...base, table: "local", type: "broadcast", dst: cidrBroadcast(cidr), prefixLength: 32, scope: "link" });
    if (!isLo && dev.adminUp && ia.prefixLength < 32) {
      this.routes.add({ ...base, table: "main", type: "unicast", dst: cidrNetwork(cidr), prefixLength: ia.prefixLength, scope: "link" });
    }
  }

  /** `ip link set dev X up|down`, with the routing side effects Linux has. */
  setUp(dev: Device, up: boolean): void {
    if (dev.adminUp === up) return;
    dev.adminUp = up;
    if (up) {
      for (const ia of dev.addresses) this.addAddressRoutes(dev, ia);
    } else {
      this.routes.remove((r) => r.dev === dev.name);
      this.neigh.flushDevice(dev.name);
      const master = dev.master as { portDown?: (d: Device) => void } | null;
      master?.portDown?.(dev);
    }
  }

  addRoute(r: Route): boolean {
    return this.routes.add(r);
  }

  /** Whether `address` is one of this namespace's own (the weak host model). */
  isLocalAddress(address: number): boolean {
    for (const d of this.devices.values()) for (const a of d.addresses) if (a.address === address) return d.adminUp || d.kind === "loopback";
    return false;
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
