/**
 * The ip sets of one network namespace (the kernel's ip_set module, as the
 * `ipset` tool drives it): named hash:ip sets of IPv4 addresses that
 * iptables rules test with `-m set --match-set NAME src|dst`. Policy
 * controllers keep the pods a policy selects in such sets, so a rule stays
 * the same while the pods behind it change. Only hash:ip (family inet) is
 * modelled; members keep the order they were added in (the kernel lists a
 * hash in bucket order, which is no order a student can rely on either).
 */
import { ObjectQuota, type LimitReached } from "../../object-quota.js";

export interface IpSet {
  readonly name: string;
  readonly type: "hash:ip";
  /** The set's default timeout, when it was made with one (`timeout 0`: entries never expire, but each carries the option). */
  readonly timeout: number | null;
  /** The hash's random seed, as `ipset list` prints it. */
  readonly initval: number;
  readonly members: Set<number>;
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
  create(name: string, timeout: number | null, initval: number): IpSet | LimitReached {
    const full = this.quota.take("rules");
    if (full !== null) return full;
    const set: IpSet = { name, type: "hash:ip", timeout, initval, members: new Set() };
    this.sets.set(name, set);
    return set;
  }

  /** `ipset destroy`: the caller has checked no rule refers to it. */
  destroy(name: string): void {
    const set = this.sets.get(name);
    if (set === undefined) return;
    this.quota.release("rules", 1 + set.members.size);
    this.sets.delete(name);
  }

  add(set: IpSet, address: number): LimitReached | null {
    if (set.members.has(address)) return null;
    const full = this.quota.take("rules");
    if (full !== null) return full;
    set.members.add(address);
    return null;
  }

  remove(set: IpSet, address: number): boolean {
    if (!set.members.delete(address)) return false;
    this.quota.release("rules");
    return true;
  }

  flush(set: IpSet): void {
    this.quota.release("rules", set.members.size);
    set.members.clear();
  }

  /** The namespace goes away: its sets stop counting against the session. */
  dispose(): void {
    for (const set of this.sets.values()) this.quota.release("rules", 1 + set.members.size);
    this.quota = ObjectQuota.unlimited();
  }

  /** The match: whether the set holds the address (a missing set holds nothing). */
  test(name: string, address: number): boolean {
    return this.sets.get(name)?.members.has(address) ?? false;
  }
}
