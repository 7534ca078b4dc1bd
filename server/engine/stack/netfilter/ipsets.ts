/**
 * The ip sets of one network namespace (the kernel's ip_set module, as the
 * `ipset` tool drives it): named hash:ip sets of IPv4 addresses and
 * hash:net sets of IPv4 networks that iptables rules test with `-m set
 * --match-set NAME src|dst`. Policy controllers keep the pods a policy
 * selects in hash:ip sets, and a policy's ipBlock in a hash:net set whose
 * `except` entries are `nomatch`: the kernel looks an address up from the
 * longest prefix the set holds to the shortest, and the first entry that
 * covers it decides, so a nomatch inside a wider entry carves it out.
 * Family inet only; members keep the order they were added in (the kernel
 * lists a hash in bucket order, which is no order a student can rely on either).
 */
import { ObjectQuota, type LimitReached } from "../../object-quota.js";

/** A hash:net entry: a network, or with nomatch an exception inside a wider one. */
export interface NetEntry {
  readonly address: number;
  readonly prefix: number;
  readonly nomatch: boolean;
}

interface SetBase {
  readonly name: string;
  /** The set's default timeout, when it was made with one (`timeout 0`: entries never expire, but each carries the option). */
  readonly timeout: number | null;
  /** The hash's random seed, as `ipset list` prints it. */
  readonly initval: number;
}

export type IpSet = (SetBase & { readonly type: "hash:ip"; readonly members: Set<number> }) | (SetBase & { readonly type: "hash:net"; readonly nets: NetEntry[] });

export type SetType = IpSet["type"];

const netMask = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);

/** How many entries a set holds (what `Number of entries` counts and the session's quota charges). */
export function setSize(set: IpSet): number {
  return set.type === "hash:ip" ? set.members.size : set.nets.length;
}

export class IpSets {
  private readonly sets = new Map<string, IpSet>();

  constructor(private quota: ObjectQuota) {}

  get(name: string): IpSet | undefined {
    return this.sets.get(name);
  }

  list(): IpSet[] {
    return [...this.sets.values()];
  }

  /** `ipset create`: the caller has checked the name is free. */
  create(name: string, timeout: number | null, initval: number, type: SetType = "hash:ip"): IpSet | LimitReached {
    const full = this.quota.take("rules");
    if (full !== null) return full;
    const set: IpSet = type === "hash:ip" ? { name, type, timeout, initval, members: new Set() } : { name, type, timeout, initval, nets: [] };
    this.sets.set(name, set);
    return set;
  }

  /** `ipset destroy`: the caller has checked no rule refers to it. */
  destroy(name: string): void {
    const set = this.sets.get(name);
    if (set === undefined) return;
    this.quota.release("rules", 1 + setSize(set));
    this.sets.delete(name);
  }

  /** Adds an address to a hash:ip set, or a network (prefix, nomatch) to a hash:net set; re-adding one replaces its nomatch flag. */
  add(set: IpSet, address: number, prefix = 32, nomatch = false): LimitReached | null {
    if (set.type === "hash:ip") {
      if (set.members.has(address)) return null;
      const full = this.quota.take("rules");
      if (full !== null) return full;
      set.members.add(address);
      return null;
    }
    const network = (address & netMask(prefix)) >>> 0;
    const at = set.nets.findIndex((n) => n.address === network && n.prefix === prefix);
    if (at >= 0) {
      set.nets[at] = { address: network, prefix, nomatch };
      return null;
    }
    const full = this.quota.take("rules");
    if (full !== null) return full;
    set.nets.push({ address: network, prefix, nomatch });
    return null;
  }

  remove(set: IpSet, address: number, prefix = 32): boolean {
    if (set.type === "hash:ip") {
      if (!set.members.delete(address)) return false;
    } else {
      const at = set.nets.findIndex((n) => n.address === ((address & netMask(prefix)) >>> 0) && n.prefix === prefix);
      if (at < 0) return false;
      set.nets.splice(at, 1);
    }
    this.quota.release("rules");
    return true;
  }

  flush(set: IpSet): void {
    this.quota.release("rules", setSize(set));
    if (set.type === "hash:ip") set.members.clear();
    else set.nets.length = 0;
  }

  /** The namespace goes away: its sets stop counting against the session. */
  dispose(): void {
    for (const set of this.sets.values()) this.quota.release("rules", 1 + setSize(set));
    this.quota = ObjectQuota.unlimited();
  }

  /** The match: whether the set holds the address (a missing set holds nothing). */
  test(name: string, address: number): boolean {
    const set = this.sets.get(name);
    if (set === undefined) return false;
    return set.type === "hash:ip" ? set.members.has(address) : netLookup(set.nets, address);
  }
}

/** hash:net's lookup: the longest prefix that covers the address decides; a nomatch entry says no. */
export function netLookup(nets: readonly NetEntry[], address: number): boolean {
  let best: NetEntry | null = null;
  for (const n of nets) if (((address & netMask(n.prefix)) >>> 0) === n.address && (best === null || n.prefix > best.prefix)) best = n;
  return best !== null && !best.nomatch;
}
