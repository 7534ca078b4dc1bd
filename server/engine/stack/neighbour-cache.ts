/**
 * The ARP neighbour table of one namespace (ip neigh): entries per (device,
 * address) with the kernel's NUD states. Timers and the resolution procedure
 * live in arp.ts; this file only holds the entries and their invariants.
 * Every entry counts against the session's neighbour limit (Linux's
 * gc_thresh3): at the limit no entry is created.
 */
import { ObjectQuota, type LimitReached } from "../object-quota.js";
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

/** The key of the packets waiting for one neighbour's resolution (NetNamespace.pending). */
export function neighbourKey(dev: string, ip: number): string {
  return `${dev}|${ip}`;
}

export class NeighbourCache {
  /** Per device, then per address: no key strings on the hot path. */
  private readonly byDevice = new Map<string, Map<number, NeighbourEntry>>();

  constructor(private quota: ObjectQuota = ObjectQuota.unlimited()) {}

  get(dev: string, ip: number): NeighbourEntry | undefined {
    return this.byDevice.get(dev)?.get(ip);
  }

  /** A new entry in state NONE; the limit when the session's neighbour table is full ("neighbour table overflow"). */
  create(dev: string, ip: number, now: number): NeighbourEntry | LimitReached {
    if (this.get(dev, ip) === undefined) {
      const full = this.quota.take("neighbours");
      if (full !== null) return full;
    }
    const e: NeighbourEntry = { dev, ip, mac: null, state: "NONE", confirmed: 0, used: now, probes: 0, timerSerial: 0 };
    let m = this.byDevice.get(dev);
    if (m === undefined) this.byDevice.set(dev, (m = new Map()));
    m.set(ip, e);
    return e;
  }

  delete(dev: string, ip: number): boolean {
    const gone = this.byDevice.get(dev)?.delete(ip) ?? false;
    if (gone) this.quota.release("neighbours");
    return gone;
  }

  /** The device went down: its entries go, permanent ones excepted. */
  flushDevice(dev: string): void {
    const m = this.byDevice.get(dev);
    if (m === undefined) return;
    for (const [ip, e] of m) if (e.state !== "PERMANENT") this.delete(dev, ip);
  }

  /** The device was renamed: its entries are the same ones (the kernel's point at the device, not its name). */
  renameDevice(from: string, to: string): void {
    const m = this.byDevice.get(from);
    if (m === undefined) return;
    this.byDevice.delete(from);
    for (const e of m.values()) e.dev = to;
    this.byDevice.set(to, m);
  }

  /** The device left the namespace (deleted or moved): every entry on it goes, permanent ones too (neigh_ifdown). */
  removeDevice(dev: string): void {
    const m = this.byDevice.get(dev);
    if (m === undefined) return;
    this.quota.release("neighbours", m.size);
    this.byDevice.delete(dev);
  }

  /** The namespace is deleted: its entries stop counting, and nothing done to the table later counts. */
  dispose(): void {
    for (const dev of [...this.byDevice.keys()]) this.removeDevice(dev);
    this.quota = ObjectQuota.unlimited();
  }

  list(): NeighbourEntry[] {
    const out: NeighbourEntry[] = [];
    for (const m of this.byDevice.values()) out.push(...m.values());
    return out;
  }
}
