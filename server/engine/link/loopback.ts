/** lo: whatever is sent comes back in, after the scheduler's current work. */
import { Device, type LinkContext, type NamespaceLabel } from "./device.js";
import type { Frame } from "./frame.js";

export class Loopback extends Device {
  readonly kind = "loopback" as const;
  protected override readonly capturesOutgoing = false;

  constructor(ctx: LinkContext, ns: NamespaceLabel, ifindex: number) {
    super(ctx, ns, ifindex, "lo", "00:00:00:00:00:00", 65536);
  }

  hasCarrier(): boolean {
    return true;
  }

  protected carry(frame: Frame): void {
    this.ctx.scheduler.after(0, () => this.receive(frame));
  }
}
