/**
 * The interface flags and operational state the kernel reports for a device
 * (dev_get_flags and the RFC 2863 operstate), read by iproute2 as
 * <BROADCAST,MULTICAST,UP,LOWER_UP> ... state UP and by net-tools as
 * flags=4163<UP,BROADCAST,RUNNING,MULTICAST>.
 *
 * RUNNING means "operationally up" and LOWER_UP "has carrier"; both are only
 * reported while the device is administratively up. A bridge port is
 * promiscuous inside the kernel, but dev_get_flags hides promiscuity it did
 * not get from user space, so PROMISC never shows here.
 */
import type { Device } from "../link/device.js";
import type { NetNamespace } from "../stack/namespace.js";
import { sameNamespacePeer, vethPeer } from "./link-peer.js";
import { assertNever } from "../trace/trace-event.js";

export const IFF = {
  UP: 0x1,
  BROADCAST: 0x2,
  LOOPBACK: 0x8,
  POINTOPOINT: 0x10,
  RUNNING: 0x40,
  NOARP: 0x80,
  MULTICAST: 0x1000,
  LOWER_UP: 0x10000,
} as const;

export type OperState = "UP" | "DOWN" | "UNKNOWN" | "LOWERLAYERDOWN";

/** netif_oper_up(): what the kernel calls up when deciding another device's state. */
function operationallyUp(dev: Device): boolean {
  return dev.adminUp && dev.hasCarrier();
}

/**
 * Linux 6.x default_operstate: without carrier a device is LOWERLAYERDOWN only
 * when its link partner's ifindex names a device in the *same* namespace that
 * is not up; for a veth whose peer sits in another namespace that lookup finds
 * nothing (or an unrelated device), so container-side ends show DOWN.
 */
export function operState(dev: Device, ns: NetNamespace): OperState {
  if (!dev.adminUp) return "DOWN";
  // A TUN device no process holds open (ip tuntap add) has no carrier: DOWN, as tun_net_init leaves it.
  if (dev.kind === "tun" && !dev.hasCarrier()) return "DOWN";
  // Loopback, VXLAN and dummy devices report no carrier state of their own (dummy.c never calls netif_carrier_on).
  if (dev.kind === "loopback" || dev.kind === "vxlan" || dev.kind === "tun" || dev.kind === "ipip" || dev.kind === "dummy") return "UNKNOWN";
  if (dev.hasCarrier()) return "UP";
  const peer = vethPeer(dev);
  if (peer === null) return "DOWN";
  const lower = ns.deviceList().find((d) => d.ifindex === peer.ifindex);
  if (lower === undefined || lower === dev) return "DOWN";
  return operationallyUp(lower) ? "DOWN" : "LOWERLAYERDOWN";
}

/** The flags a device's setup function gives it, before it is brought up. */
function baseFlags(dev: Device): number {
  switch (dev.kind) {
    case "loopback":
      return IFF.LOOPBACK;
    case "tun":
      return IFF.POINTOPOINT | IFF.NOARP | IFF.MULTICAST;
    case "ipip":
      return IFF.POINTOPOINT | IFF.NOARP;
    case "dummy":
      // dummy_setup: ether_setup's BROADCAST|MULTICAST, then IFF_NOARP set and IFF_MULTICAST cleared.
      return IFF.BROADCAST | IFF.NOARP;
    case "veth":
    case "bridge":
    case "nic":
    case "vxlan":
      return IFF.BROADCAST | IFF.MULTICAST;
    default:
      return assertNever(dev.kind);
  }
}

/** The IFF_* bits as SIOCGIFFLAGS / RTM_NEWLINK report them. */
export function interfaceFlags(dev: Device, ns: NetNamespace): number {
  let flags = baseFlags(dev);
  if (dev.adminUp) {
    flags |= IFF.UP;
    const state = operState(dev, ns);
    if (state === "UP" || state === "UNKNOWN") flags |= IFF.RUNNING;
    if (dev.hasCarrier()) flags |= IFF.LOWER_UP;
  }
  return flags;
}

/** iproute2's print_link_flags: "<NO-CARRIER,BROADCAST,MULTICAST,UP>". */
export function iproute2Flags(dev: Device, ns: NetNamespace): string {
  const flags = interfaceFlags(dev, ns);
  const names: string[] = [];
  if (flags & IFF.UP && !(flags & IFF.RUNNING)) names.push("NO-CARRIER");
  if (flags & IFF.LOOPBACK) names.push("LOOPBACK");
  if (flags & IFF.BROADCAST) names.push("BROADCAST");
  if (flags & IFF.POINTOPOINT) names.push("POINTOPOINT");
  if (flags & IFF.MULTICAST) names.push("MULTICAST");
  if (flags & IFF.NOARP) names.push("NOARP");
  if (flags & IFF.UP) names.push("UP");
  if (flags & IFF.LOWER_UP) names.push("LOWER_UP");
  // M-DOWN: the partner named by IFLA_LINK, in this namespace, is administratively down.
  const peer = sameNamespacePeer(dev, ns);
  if (peer !== null && !peer.adminUp) names.push("M-DOWN");
  return `<${names.join(",")}>`;
}
