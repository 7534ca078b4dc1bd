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
  /** Per device, then per address: no key strings on the hot path. */
  private readonly byDevice = new Map<string, Map<number, NeighbourEntry>>();

  get(dev: string, ip: number): NeighbourEntry | undefined {
    return this.byDevice.get(dev)?.get(ip);
  }

  create(dev: string, ip: number, now: number): NeighbourEntry {
    const e: NeighbourEntry = { dev, ip, mac: null, state: "NONE", confirmed: 0, used: now, probes: 0, timerSerial: 0 };
    let m = this.byDevice.get(dev);
    if (m === undefined) this.byDevice.set(dev, (m = new Map()));
    m.set(ip, e);
    return e;
  }

  delete(dev: string, ip: number): boolean {
    return this.byDevice.get(dev)?.delete(ip) ?? false;
  }

  flushDevice(dev: string): void {
    const m = this.byDevice.get(dev);
    if (m === undefined) return;
    for (const [ip, e] of m) if (e.state !== "PERMANENT") m.delete(ip);
  }

  list(): NeighbourEntry[] {
    const out: NeighbourEntry[] = [];
    for (const m of this.byDevice.values()) out.push(...m.values());
    return out;
  }
}
