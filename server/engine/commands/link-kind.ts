/**
 * What a device's kind means to the tools that print and change links: the
 * rtnl_link_ops kind (IFLA_INFO_KIND, what `ip -d link` prints on its own line
 * and `ip link show type T` matches) and the MTU bounds its setup function
 * sets (dev->min_mtu / max_mtu, which dev_validate_mtu checks and `ip -d link`
 * prints as minmtu / maxmtu; 0 means no bound).
 */
import type { Device, DeviceKind } from "../link/device.js";
import { assertNever } from "../trace/trace-event.js";

/**
 * IFLA_INFO_KIND as the simulator shows it; null for devices made without
 * rtnl_link_ops (lo, the NICs). The kernel's tun and ipip drivers have a kind
 * too ("tun", "ipip"), but the simulator prints no linkinfo for them yet.
 */
export function linkInfoKind(kind: DeviceKind): "veth" | "bridge" | "vxlan" | "dummy" | null {
  switch (kind) {
    case "veth":
    case "bridge":
    case "vxlan":
    case "dummy":
      return kind;
    case "loopback":
    case "nic":
    case "tun":
    case "ipip":
      return null;
    default:
      return assertNever(kind);
  }
}

export interface MtuBounds {
  min: number;
  /** 0: no upper bound (dev_validate_mtu checks max_mtu only when it is set). */
  max: number;
}

/**
 * ether_setup's 68 (ETH_MIN_MTU) to 65535 as veth, bridge and VXLAN devices
 * leave them (the NICs and TUN devices here too); loopback_setup and
 * dummy_setup set both to 0.
 */
export function mtuBounds(dev: Device): MtuBounds {
  switch (dev.kind) {
    case "loopback":
    case "dummy":
      return { min: 0, max: 0 };
    case "veth":
    case "bridge":
    case "nic":
    case "vxlan":
    case "tun":
    case "ipip":
      return { min: 68, max: 65535 };
    default:
      return assertNever(dev.kind);
  }
}
