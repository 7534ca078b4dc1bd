/**
 * A VXLAN tunnel endpoint (flannel.1): an Ethernet device whose frames leave
 * wrapped in UDP to the remote VTEP its FDB names for the destination MAC
 * (`bridge fdb … dst 10.168.0.3`), and whose received frames come from
 * datagrams on its UDP port. The UDP/IP part is the namespace stack's job:
 * the stack installs `encapsulate` and hands decapsulated frames to `receive`.
 * Learning is off (flannel programs the FDB), as with `nolearning`.
 */
import { Device, type LinkContext, type NamespaceLabel } from "./device.js";
import type { Frame } from "./frame.js";

export interface VxlanConfig {
  vni: number;
  port: number;
  /** The underlay address and device the tunnel sends from. */
  local: number;
  underlay: string;
}

export class Vxlan extends Device {
  readonly kind = "vxlan" as const;
  /** MAC → remote VTEP address (permanent entries). */
  readonly fdb = new Map<string, number>();
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

  hasCarrier(): boolean {
    return true;
  }

  protected carry(frame: Frame): void {
    const remote = this.fdb.get(frame.dst) ?? this.fdb.get("00:00:00:00:00:00");
    if (remote === undefined) this.noRemote(this, frame);
    else this.encapsulate(this, frame, remote);
  }
}
