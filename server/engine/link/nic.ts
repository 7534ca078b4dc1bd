/** A host's physical NIC (eth0) plugged into an underlay segment. */
import { Device, type LinkContext, type NamespaceLabel } from "./device.js";
import type { Frame } from "./frame.js";
import type { Segment } from "./segment.js";

export class Nic extends Device {
  readonly kind = "nic" as const;

  constructor(
    ctx: LinkContext,
    ns: NamespaceLabel,
    ifindex: number,
    name: string,
    mac: string,
    mtu: number,
    public readonly segment: Segment,
  ) {
    super(ctx, ns, ifindex, name, mac, mtu);
    segment.attach(this);
  }

  hasCarrier(): boolean {
    return true;
  }

  protected carry(frame: Frame): void {
    this.segment.carry(this, frame);
  }
}
