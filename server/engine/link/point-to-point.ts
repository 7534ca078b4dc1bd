/**
 * Layer-3 point-to-point devices: a TUN device (flannel0, whose other end is
 * a user-space daemon reading /dev/net/tun) and an IPIP tunnel (Calico's
 * tunl0, whose other end is the kernel's IP-in-IP encapsulation). They have
 * no MAC and no ARP (NOARP); what is sent through them goes to `deliver`,
 * installed by whoever sits at the other end. Frames on them carry an
 * all-zero Ethernet header, as the simulator's frames always have one; a
 * real capture of such a device has no link header at all (tcpdump says
 * "link-type RAW"), so captures strip it (isLayer3Device).
 */
import { Device, type LinkContext, type NamespaceLabel } from "./device.js";
import type { Frame } from "./frame.js";

export const ZERO_MAC = "00:00:00:00:00:00";

/** Whether a device of this kind carries bare IP packets: its frames' Ethernet header is the simulator's, not the wire's. */
export function isLayer3Device(kind: string): boolean {
  return kind === "tun" || kind === "ipip";
}

/**
 * A TUN device's /dev/net/tun side (tun_flags): made persistent by `ip
 * tuntap add`, with its owner, or held open by a daemon (flannel0).
 */
export interface TunFile {
  persist: boolean;
  /** A process has the device open: only then has it a carrier (tun_net_open / tun_detach). */
  attached: boolean;
  user: string | null;
  group: string | null;
}

export class PointToPoint extends Device {
  /** The far end: the daemon reading the TUN device, or the IPIP encapsulator. */
  deliver: (dev: PointToPoint, frame: Frame) => void = () => {};
  /** A TUN device's file side; null for IPIP. */
  tun: TunFile | null = null;

  constructor(
    ctx: LinkContext,
    ns: NamespaceLabel,
    ifindex: number,
    name: string,
    mtu: number,
    readonly kind: "tun" | "ipip",
  ) {
    super(ctx, ns, ifindex, name, ZERO_MAC, mtu);
  }

  hasCarrier(): boolean {
    return this.tun === null || this.tun.attached;
  }

  protected carry(frame: Frame): void {
    this.deliver(this, frame);
  }
}
