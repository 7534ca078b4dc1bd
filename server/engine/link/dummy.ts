/**
 * A dummy device (drivers/net/dummy.c, `ip link add NAME type dummy`): an
 * Ethernet device to point routes and hang addresses on that never puts a
 * frame anywhere. dummy_xmit adds the frame to the device's tx counters and
 * frees it; nothing ever arrives on it, so its rx counters stay at 0.
 *
 * What dummy_setup gives it, and where the rest of the model reads it:
 * ether_setup, then IFF_NOARP set and IFF_MULTICAST cleared (link-flags.ts:
 * <BROADCAST,NOARP>), IFF_NO_QUEUE (noqueue once up), a random locally
 * administered MAC (eth_hw_addr_random; drawn from the network's seeded
 * generator like every other made-up MAC), and min_mtu = max_mtu = 0, which
 * dev_validate_mtu reads as "no bound" (ip -d link: minmtu 0 maxmtu 0). It has
 * no carrier handling of its own: the carrier is on from registration, so an
 * up dummy is LOWER_UP with operstate UNKNOWN (it never calls
 * netif_carrier_on, so the RFC 2863 state is never set). It does not model
 * `ip link set … carrier off` (dummy_change_carrier).
 */
import { Device, type LinkContext, type NamespaceLabel } from "./device.js";
import type { Frame } from "./frame.js";

/** dummy_setup's min_mtu and max_mtu: 0, no bound either way. */
export const DUMMY_MTU_BOUNDS = { min: 0, max: 0 } as const;

export class Dummy extends Device {
  readonly kind = "dummy" as const;

  constructor(ctx: LinkContext, ns: NamespaceLabel, ifindex: number, name: string, mac: string) {
    super(ctx, ns, ifindex, name, mac, 1500);
  }

  /** The carrier is on from register_netdevice and nothing turns it off. */
  hasCarrier(): boolean {
    return true;
  }

  /** dummy_xmit: counted as sent (by `leaves`, with the capture and frame-tx), then freed. */
  protected carry(frame: Frame): void {
    this.emitDrop(frame, "dummy-xmit", `${this.name} is a dummy device: dummy_xmit counts the frame as sent and frees it`, `${this.name} (dummy) consumes ${frame.summary}`);
  }
}
