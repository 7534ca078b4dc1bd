/**
 * The ARP neighbour table of one namespace (ip neigh): entries per (device,
 * address) with the kernel's NUD states. Timers and the resolution procedure
 * live in arp.ts; this file only holds the entries and their invariants.
 */
import type { NeighbourState } from "../trace/trace-event.js";

export interface NeighbourEntry {
  dev: string;
  ip: number;
  mac: string | null;
  state: NeighbourState;
  /** Virtual time (µs) of the last confirmation (ARP reply or request from it). */
  confirmed: number;
  /** Virtual time (µs) the entry was last used to send. */
  used: number;
  /** ARP probes sent in the current resolution. */
  probes: number;
  /** Router flag is IPv6-only; we keep `proxy` for proxy-ARP entries. */
  timerSerial: number;
}

export class NeighbourCache {
  private readonly entries = new Map<string, NeighbourEntry>();

  private static key(dev: string, ip: number): string {
    return `${dev}|${ip}`;
  }

  get(dev: string, ip: number): NeighbourEntry | undefined {
    return this.entries.get(NeighbourCache.key(dev, ip));
  }

  create(dev: string, ip: number, now: number): NeighbourEntry {
    const e: NeighbourEntry = { dev, ip, mac: null, state: "NONE", confirmed: 0, used: now, probes: 0, timerSerial: 0 };
    this.entries.set(NeighbourCache.key(dev, ip), e);
    return e;
  }

  delete(dev: string, ip: number): boolean {
    return this.entries.delete(NeighbourCache.key(dev, ip));
  }

  flushDevice(dev: string): void {
    for (const [k, e] of this.entries) if (e.dev === dev && e.state !== "PERMANENT") this.entries.delete(k);
  }

  list(): NeighbourEntry[] {
    return [...this.entries.values()];
  }
}
