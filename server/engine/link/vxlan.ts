/**
 * A VXLAN tunnel endpoint (flannel.1): an Ethernet device whose frames leave
 * wrapped in UDP to the remote VTEP its FDB names for the destination MAC
 * (`bridge fdb … dst 10.168.0.3`), and whose received frames come from
 * datagrams on its UDP port. The UDP/IP part is the namespace stack's job:
 * the stack installs `encapsulate` and hands decapsulated frames to `receive`.
 * Learning is off (flannel programs the FDB), as with `nolearning`.
 */
import type { LimitReached } from "../object-quota.js";
import { Device, type LinkContext, type NamespaceLabel } from "./device.js";
import type { Frame } from "./frame.js";

export interface VxlanConfig {
  vni: number;
  port: number;
  /** The underlay address and device the tunnel sends from. */
  local: number;
  underlay: string;
  /** `ip link add … type vxlan` without nolearning. Shown by `ip -d link`; the simulator's VTEP never learns remote MACs either way. */
  learning?: boolean;
}

export class Vxlan extends Device {
  readonly kind = "vxlan" as const;
  /** MAC → remote VTEP address: static entries, which count against the session's FDB limit. */
  private readonly remotes = new Map<string, number>();
  private counted = true;
  encapsulate: (dev: Vxlan, frame: Frame, remote: number) => void = () => {};
  noRemote: (dev: Vxlan, frame: Frame) => void = () => {};

  constructor(
    ctx: LinkContext,
    ns: NamespaceLabel,
    ifindex: number,
    name: string,
    mac: string,
    mtu: number,
    readonly config: VxlanConfig,
  ) {
    super(ctx, ns, ifindex, name, mac, mtu);
  }

  /** The kernel keeps the underlay's ifindex and prints its name as it is now. */
  override lowerRenamed(from: string, to: string): void {
    if (this.config.underlay === from) this.config.underlay = to;
  }

  get fdb(): ReadonlyMap<string, number> {
    return this.remotes;
  }

  /** `bridge fdb append MAC dev flannel.1 dst REMOTE`: a new entry takes room in the session's FDB limit. */
  setRemote(mac: string, remote: number): LimitReached | null {
    if (!this.remotes.has(mac) && this.counted) {
      const full = this.ctx.quota.take("fdbEntries");
      if (full !== null) return full;
    }
    this.remotes.set(mac, remote);
    return null;
  }

  override dispose(): void {
    if (this.counted) this.ctx.quota.release("fdbEntries", this.remotes.size);
    this.counted = false;
  }

  hasCarrier(): boolean {
    return true;
  }

  protected carry(frame: Frame): void {
    const remote = this.fdb.get(frame.dst) ?? this.fdb.get("00:00:00:00:00:00");
    if (remote === undefined) this.noRemote(this, frame);
    else this.encapsulate(this, frame, remote);
  }
}
