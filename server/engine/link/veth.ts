/**
 * One end of a veth pair: a frame sent here is received by the peer, whichever
 * namespace the peer is in. Like Linux, an end has carrier only while its peer
 * is administratively up, so `ip link set veth0 down` makes the other end
 * show NO-CARRIER / state LOWERLAYERDOWN.
 */
import { ETHERNET_HEADER_LENGTH } from "../wire/ethernet.js";
import { Device, fitsMtu, type LinkContext, type NamespaceLabel } from "./device.js";
import type { Frame } from "./frame.js";

export class Veth extends Device {
  readonly kind = "veth" as const;
  peer: Veth | null = null;

  constructor(ctx: LinkContext, ns: NamespaceLabel, ifindex: number, name: string, mac: string, mtu = 1500) {
    super(ctx, ns, ifindex, name, mac, mtu);
  }

  static pair(a: Veth, b: Veth): void {
    a.peer = b;
    b.peer = a;
  }

  hasCarrier(): boolean {
    return this.peer !== null && this.peer.adminUp;
  }

  protected carry(frame: Frame): void {
    const peer = this.peer;
    if (peer === null) return;
    this.ctx.scheduler.after(this.ctx.softLinkDelay, () => peer.arrive(frame));
  }

  /** __dev_forward_skb: the peer refuses a frame its MTU cannot take (is_skb_forwardable) and counts it as an rx drop. */
  private arrive(frame: Frame): void {
    if (!fitsMtu(this, frame)) {
      this.stats.rxDropped++;
      this.emitDrop(frame, "mtu-exceeded", `a ${frame.bytes.length - ETHERNET_HEADER_LENGTH}-byte packet is larger than ${this.name}'s MTU ${this.mtu}`);
      return;
    }
    this.receive(frame);
  }
}
