/**
 * A bridge's forwarding database: MAC → port, learnt from source addresses,
 * aged out after `ageingTime` seconds without traffic (300 s by default, as
 * Linux). Local entries (the bridge's and its ports' own MACs) never age and
 * are never moved by learning.
 *
 * Learnt entries count against the session's FDB limit, as Linux's
 * fdb_max_learned counts only learnt ones (local entries come with devices,
 * which have their own limit). At the limit a new source MAC is simply not
 * learnt: frames to it keep being flooded.
 */
import { ObjectQuota } from "../object-quota.js";

export interface FdbEntry {
  mac: string;
  port: string;
  local: boolean;
  /** Virtual time (µs) the MAC was last seen as a source. */
  updated: number;
}

export class Fdb {
  private readonly entries = new Map<string, FdbEntry>();

  constructor(private quota: ObjectQuota = ObjectQuota.unlimited()) {}

  get(mac: string): FdbEntry | undefined {
    return this.entries.get(mac);
  }

  addLocal(mac: string, port: string, now: number): void {
    if (this.entries.get(mac)?.local === false) this.quota.release("fdbEntries");
    this.entries.set(mac, { mac, port, local: true, updated: now });
  }

  /** Returns the previous port when the MAC is new or moved; undefined when nothing changed (the FDB's limit included). */
  learn(mac: string, port: string, now: number): { isNew: boolean; previousPort: string | null } | undefined {
    const e = this.entries.get(mac);
    if (e === undefined) {
      if (this.quota.take("fdbEntries") !== null) return undefined;
      this.entries.set(mac, { mac, port, local: false, updated: now });
      return { isNew: true, previousPort: null };
    }
    if (e.local) return undefined;
    e.updated = now;
    if (e.port === port) return undefined;
    const previousPort = e.port;
    e.port = port;
    return { isNew: false, previousPort };
  }

  /** Removes learnt entries idle for at least `ageing` µs; returns them. */
  expire(now: number, ageing: number): FdbEntry[] {
    const gone: FdbEntry[] = [];
    for (const e of this.entries.values()) {
      if (!e.local && now - e.updated >= ageing) gone.push(e);
    }
    for (const e of gone) this.entries.delete(e.mac);
    this.quota.release("fdbEntries", gone.length);
    return gone;
  }

  /** Oldest learnt update time, to schedule the next clean-up. */
  oldestLearnt(): number | undefined {
    let t: number | undefined;
    for (const e of this.entries.values()) if (!e.local && (t === undefined || e.updated < t)) t = e.updated;
    return t;
  }

  /** The port was renamed: its entries, its own address's included, go with it. */
  renamePort(from: string, to: string): void {
    for (const e of this.entries.values()) if (e.port === from) e.port = to;
  }

  /** A local entry goes (its device's address changed); learnt entries for the MAC are not the device's to remove. */
  removeLocal(mac: string, port: string): void {
    const e = this.entries.get(mac);
    if (e !== undefined && e.local && e.port === port) this.entries.delete(mac);
  }

  /** Forgets every entry on a port (the port left the bridge or went down). */
  flushPort(port: string, includeLocal: boolean): void {
    for (const [mac, e] of this.entries) {
      if (e.port !== port || (e.local && !includeLocal)) continue;
      this.entries.delete(mac);
      if (!e.local) this.quota.release("fdbEntries");
    }
  }

  /** The bridge is gone with its namespace: its learnt entries stop counting, and nothing it does later counts. */
  dispose(): void {
    let learnt = 0;
    for (const e of this.entries.values()) if (!e.local) learnt++;
    this.quota.release("fdbEntries", learnt);
    this.quota = ObjectQuota.unlimited();
  }

  list(): FdbEntry[] {
    return [...this.entries.values()];
  }
}
