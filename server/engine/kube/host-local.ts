/**
 * The host-local IPAM plugin's allocator (plugins/ipam/host-local/backend/
 * allocator): one range, the subnet's first address to its last but one,
 * the gateway (the first) never handed out. It goes round-robin: the search
 * starts after the last address it reserved (last_reserved_ip.0, kept when
 * that address is released again) and wraps to the range's start, so a
 * freed address comes back only once the others were used. Its state is the
 * store's files, one per reserved address holding the container's id and
 * interface name.
 */

export interface Reservation {
  containerId: string;
  ifName: string;
}

export class HostLocal {
  readonly reserved = new Map<number, Reservation>();
  lastReserved: number | null = null;

  constructor(
    readonly subnet: { address: number; prefixLength: number },
    readonly gateway: number,
  ) {}

  private get start(): number {
    return (this.subnet.address + 1) >>> 0;
  }

  private get end(): number {
    return (this.subnet.address + 2 ** (32 - this.subnet.prefixLength) - 2) >>> 0;
  }

  /** The next free address, or null when the range is exhausted ("no IP addresses available in range set"). */
  allocate(containerId: string, ifName: string): number | null {
    const { start, end } = this;
    const size = end - start + 1;
    const last = this.lastReserved;
    const first = last !== null && last >= start && last <= end ? (last === end ? start : last + 1) : start;
    for (let i = 0; i < size; i++) {
      const candidate = start + ((first - start + i) % size);
      if (candidate === this.gateway || this.reserved.has(candidate)) continue;
      this.reserved.set(candidate, { containerId, ifName });
      this.lastReserved = candidate;
      return candidate >>> 0;
    }
    return null;
  }

  /** ReleaseByID: what the container held goes back; last_reserved_ip stays. */
  release(containerId: string): number[] {
    const freed: number[] = [];
    for (const [ip, r] of this.reserved) {
      if (r.containerId !== containerId) continue;
      this.reserved.delete(ip);
      freed.push(ip);
    }
    return freed;
  }
}
