/**
 * A namespace's netfilter tables (nat and filter) with their built-in and
 * user chains, policies and counters, and the traversal the kernel does at
 * each hook: rules in order, jumps into user chains, RETURN back, the chain
 * policy when a built-in chain runs out. Every rule that decides something is
 * reported to the caller, which makes it a trace event.
 *
 * Rules and user chains change only through this class, which counts them
 * against the session's rule limit (built-in chains are not counted: every
 * namespace has them).
 */
import { ObjectQuota, type LimitReached } from "../../object-quota.js";
import { applyMark, RecentLists, ruleMatches, type PacketView, type Rule } from "./rule.js";
import { IpSets } from "./ipsets.js";

export type TableName = "nat" | "filter";
export type Policy = "ACCEPT" | "DROP";

export interface Chain {
  name: string;
  builtin: boolean;
  policy: Policy;
  policyPackets: number;
  policyBytes: number;
  /** Changed through Netfilter's methods only, which count them. */
  readonly rules: readonly Rule[];
}

/** The rules array of a chain, for the methods that change it. */
function mutable(c: Chain): Rule[] {
  return c.rules as Rule[];
}

export const BUILTIN_CHAINS: Record<TableName, string[]> = {
  nat: ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"],
  filter: ["INPUT", "FORWARD", "OUTPUT"],
};

export type Verdict =
  | { kind: "ACCEPT"; rule: Rule | null; chain: string }
  | { kind: "DROP"; rule: Rule | null; chain: string }
  /** Dropped with an ICMP error sent back (REJECT). */
  | { kind: "REJECT"; rule: Rule; chain: string }
  | { kind: "NAT"; rule: Rule; chain: string };

/** Built-in chains in the kernel's hook order, then user chains by name: how iptables-nft lists a table. */
export function orderedChains(nf: Netfilter, table: TableName): Chain[] {
  const all = [...nf.tables[table].values()];
  const builtin = BUILTIN_CHAINS[table].map((n) => nf.tables[table].get(n)!).filter((c) => c !== undefined);
  const user = all.filter((c) => !c.builtin).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return [...builtin, ...user];
}

/**
 * Told of each rule whose target decided, jumped or marked: its table, its
 * chain, its place there and the rule. The parts are arguments, not one
 * object: a packet passes several rules at every hook.
 */
export type OnHit = (table: TableName, chain: string, index: number, rule: Rule) => void;

const MAX_JUMP_DEPTH = 16;

/** Asked for every packet, so no allocation beyond the iterator V8 elides. */
function chainsEmpty(chains: Map<string, Chain>): boolean {
  for (const c of chains.values()) if (c.rules.length > 0 || c.policy !== "ACCEPT") return false;
  return true;
}

export class Netfilter {
  readonly tables: Record<TableName, Map<string, Chain>> = { nat: new Map(), filter: new Map() };
  /** xt_recent's lists (-m recent), kept per namespace as the kernel does. */
  readonly recent = new RecentLists();
  /** The namespace's ip sets (-m set), which `ipset` manages. */
  readonly ipsets: IpSets;

  constructor(private quota: ObjectQuota = ObjectQuota.unlimited()) {
    this.ipsets = new IpSets(quota);
    for (const t of ["nat", "filter"] as const) for (const c of BUILTIN_CHAINS[t]) this.tables[t].set(c, { name: c, builtin: true, policy: "ACCEPT", policyPackets: 0, policyBytes: 0, rules: [] });
  }

  chain(table: TableName, name: string): Chain | undefined {
    return this.tables[table].get(name);
  }

  /** `iptables -N`: a user chain takes room in the rule limit. The caller has checked the name is free. */
  newChain(table: TableName, name: string): Chain | LimitReached {
    const full = this.quota.take("rules");
    if (full !== null) return full;
    const c: Chain = { name, builtin: false, policy: "ACCEPT", policyPackets: 0, policyBytes: 0, rules: [] };
    this.tables[table].set(name, c);
    return c;
  }

  /** `iptables -X`: the caller has checked the chain is a user chain, empty and unreferenced. */
  deleteChain(table: TableName, name: string): void {
    if (this.tables[table].delete(name)) this.quota.release("rules");
  }

  /** `iptables -A` (index null) or `-I` (0-based position, checked by the caller). */
  insertRule(chain: Chain, rule: Rule, index: number | null = null): LimitReached | null {
    const full = this.quota.take("rules");
    if (full !== null) return full;
    if (index === null) mutable(chain).push(rule);
    else mutable(chain).splice(index, 0, rule);
    return null;
  }

  /** `iptables -D`: the rule at a 0-based position that exists. */
  deleteRule(chain: Chain, index: number): void {
    if (mutable(chain).splice(index, 1).length > 0) this.quota.release("rules");
  }

  /** `iptables -F`. */
  flushChain(chain: Chain): void {
    this.quota.release("rules", chain.rules.length);
    mutable(chain).length = 0;
  }

  /** Room for this many more rules and chains, asked before a change of several (docker run -p). */
  room(rules: number): LimitReached | null {
    return this.quota.check({ rules });
  }

  /** The namespace is deleted: its rules and chains stop counting, and nothing done to them later counts. */
  dispose(): void {
    for (const t of ["nat", "filter"] as const) for (const c of this.tables[t].values()) this.quota.release("rules", c.rules.length + (c.builtin ? 0 : 1));
    this.ipsets.dispose();
    this.quota = ObjectQuota.unlimited();
  }

  /** How many rules test an ip set (`ipset list` prints "References: N"; a referenced set cannot be destroyed). */
  setReferences(name: string): number {
    let n = 0;
    for (const t of ["nat", "filter"] as const) for (const c of this.tables[t].values()) for (const r of c.rules) for (const m of r.matches) if (m.kind === "set" && m.name === name) n++;
    return n;
  }

  /** How many rules jump to a user chain (iptables prints "(N references)"). */
  references(table: TableName, name: string): number {
    let n = 0;
    for (const c of this.tables[table].values()) for (const r of c.rules) if (r.target.kind === "jump" && r.target.chain === name) n++;
    return n;
  }

  /** Whether any rule exists at all: an empty ruleset costs the datapath nothing. */
  get empty(): boolean {
    return chainsEmpty(this.tables.nat) && chainsEmpty(this.tables.filter);
  }

  /** Walks a built-in chain for one packet. `onHit` sees each rule whose target decided, jumped or marked. MARK targets change `v.mark`. */
  traverse(table: TableName, chainName: string, v: PacketView, onHit: OnHit): Verdict {
    const chain = this.tables[table].get(chainName);
    if (chain === undefined) return { kind: "ACCEPT", rule: null, chain: chainName };
    const result = this.walk(table, chain, v, onHit, 0);
    if (result !== null) return result;
    // iptables-nft lists base-chain policy counters as 0 (nf_tables keeps none for a policy), so we do not count them.
    return { kind: chain.policy, rule: null, chain: chainName };
  }

  private walk(table: TableName, chain: Chain, v: PacketView, onHit: OnHit, depth: number): Verdict | null {
    for (let i = 0; i < chain.rules.length; i++) {
      const r = chain.rules[i]!;
      if (!ruleMatches(r, v)) continue;
      r.packets++;
      r.bytes += v.length;
      onHit(table, chain.name, i, r);
      const t = r.target;
      switch (t.kind) {
        case "ACCEPT":
          return { kind: "ACCEPT", rule: r, chain: chain.name };
        case "DROP":
          return { kind: "DROP", rule: r, chain: chain.name };
        case "REJECT":
          return { kind: "REJECT", rule: r, chain: chain.name };
        case "MARK":
          v.mark = applyMark(v.mark, t);
          continue;
        case "none":
          continue;
        case "RETURN":
          return null;
        case "MASQUERADE":
        case "DNAT":
        case "SNAT":
          return { kind: "NAT", rule: r, chain: chain.name };
        case "jump": {
          const target = this.tables[table].get(t.chain);
          if (target === undefined || depth >= MAX_JUMP_DEPTH) continue;
          const inner = this.walk(table, target, v, onHit, depth + 1);
          if (inner !== null) return inner;
          continue;
        }
      }
    }
    return null;
  }
}
