/**
 * An underlay L2 segment: the physical switch between hosts' NICs. It is not
 * a Linux object, so it makes no trace events of its own: the NICs' frame-tx
 * and frame-rx show the crossing. It delivers unicast to the NIC owning the
 * destination MAC (a switch that has learnt everything) and group frames to
 * every other NIC.
 */
import type { LinkContext } from "./device.js";
import { isGroupMac, type Frame } from "./frame.js";
import type { Nic } from "./nic.js";

export class Segment {
  private readonly nics: Nic[] = [];

  constructor(
    private readonly ctx: LinkContext,
    readonly name: string,
  ) {}

  attach(nic: Nic): void {
    this.nics.push(nic);
  }

  detach(nic: Nic): void {
    const i = this.nics.indexOf(nic);
    if (i >= 0) this.nics.splice(i, 1);
  }

  carry(from: Nic, frame: Frame): void {
    const group = isGroupMac(frame.dst);
    for (const nic of this.nics) {
      if (nic === from) continue;
      if (group || nic.mac === frame.dst) {
        this.ctx.scheduler.after(this.ctx.wireDelay, () => nic.receive(frame));
        if (!group) return;
      }
    }
  }
}
