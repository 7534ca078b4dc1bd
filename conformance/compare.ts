/**
 * The comparison of one scenario's two runs, or of its simulated run with a
 * hand-written expectation of what Linux would do (expectation.ts) where
 * this machine cannot build it. Frames: per interface, the two ordered
 * lists are aligned (longest common subsequence on each frame's direction
 * and protocol), aligned pairs are compared field by field, and frames only
 * one side has are listed. Tables: per namespace, lines only one side has.
 * Each difference is one line; the same difference on several frames of an
 * interface is one line with a count.
 */
import { whereOf, type CapturedFrame } from "./captured-frame.js";
import { frameFields, frameLabel, RoleMapper, type FrameFields } from "./frame-fields.js";
import { TABLE_NAMES, type Tables } from "./tables.js";

export interface Difference {
  /** "host/namespace/device" for frames, "host/namespace table" for tables. */
  where: string;
  text: string;
}

export interface Comparison {
  interfaces: number;
  framesSimulated: number;
  framesLinux: number;
  /** Aligned pairs, and those of them with no field different. */
  framesPaired: number;
  framesIdentical: number;
  tablesCompared: number;
  differences: Difference[];
}

function byInterface(frames: CapturedFrame[], limit: number | undefined): Map<string, FrameFields[]> {
  const groups = new Map<string, CapturedFrame[]>();
  for (const f of frames) {
    const key = whereOf(f);
    const list = groups.get(key) ?? [];
    if (limit === undefined || list.length < limit) list.push(f);
    groups.set(key, list);
  }
  // Roles are numbered walking interfaces in name order, so both sides number them alike.
  const roles = new RoleMapper();
  const out = new Map<string, FrameFields[]>();
  for (const key of [...groups.keys()].sort()) out.set(key, groups.get(key)!.map((f) => frameFields(f, roles)));
  return out;
}

const skeleton = (f: FrameFields) => {
  const get = (n: string) => f.find(([k]) => k === n)?.[1] ?? "";
  return [get("dir").split(" ")[0], get("arp.op"), get("ip.proto"), get("icmp.type"), get("tcp.flags"), get("inner.icmp.type"), get("inner.arp.op")].join("|");
};

function align(a: FrameFields[], b: FrameFields[]): [number | null, number | null][] {
  const ka = a.map(skeleton);
  const kb = b.map(skeleton);
  const n = a.length;
  const m = b.length;
  const dp = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i]![j] = ka[i] === kb[j] ? dp[i + 1]![j + 1]! + 1 : Math.max(dp[i + 1]![j]!, dp[i]![j + 1]!);
  const pairs: [number | null, number | null][] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && ka[i] === kb[j]) pairs.push([i++, j++]);
    else if (j >= m || (i < n && dp[i + 1]![j]! >= dp[i]![j + 1]!)) pairs.push([i++, null]);
    else pairs.push([null, j++]);
  }
  return pairs;
}

/** What the other side is called in a difference's text. */
interface OtherSide {
  /** "only on Linux: …" */
  only: string;
  /** "… simulator 64, Linux 63" */
  name: string;
}

const LINUX: OtherSide = { only: "only on Linux", name: "Linux" };
const EXPECTED: OtherSide = { only: "only in the expectation", name: "expected" };

export function compareRuns(sim: { frames: CapturedFrame[]; tables: Tables }, linux: { frames: CapturedFrame[]; tables: Tables }, frameLimit?: number): Comparison {
  return compareSides(byInterface(sim.frames, frameLimit), sim.tables, byInterface(linux.frames, frameLimit), linux.tables, LINUX);
}

/** The simulated run against an expectation: its frames are already fields, with roles numbered as byInterface numbers them. */
export function compareWithExpectation(sim: { frames: CapturedFrame[]; tables: Tables }, expected: { frames: Map<string, FrameFields[]>; tables: Tables }): Comparison {
  return compareSides(byInterface(sim.frames, undefined), sim.tables, expected.frames, expected.tables, EXPECTED);
}

function compareSides(a: Map<string, FrameFields[]>, simTables: Tables, b: Map<string, FrameFields[]>, otherTables: Tables, other: OtherSide): Comparison {
  const counted = new Map<string, { where: string; text: string; count: number }>();
  const note = (where: string, text: string) => {
    const key = `${where}\u0000${text}`;
    const c = counted.get(key);
    if (c === undefined) counted.set(key, { where, text, count: 1 });
    else c.count++;
  };
  let paired = 0;
  let identical = 0;
  const interfaces = [...new Set([...a.keys(), ...b.keys()])].sort();
  for (const where of interfaces) {
    const fa = a.get(where) ?? [];
    const fb = b.get(where) ?? [];
    for (const [i, j] of align(fa, fb)) {
      if (i !== null && j === null) note(where, `only in the simulator: ${frameLabel(fa[i]!)}`);
      else if (i === null && j !== null) note(where, `${other.only}: ${frameLabel(fb[j]!)}`);
      else if (i !== null && j !== null) {
        paired++;
        const x = new Map(fa[i]!);
        const y = new Map(fb[j]!);
        let same = true;
        for (const name of new Set([...x.keys(), ...y.keys()])) {
          if (x.get(name) === y.get(name)) continue;
          same = false;
          note(where, `${frameLabel(fa[i]!)}: ${name} simulator ${x.get(name) ?? "(none)"}, ${other.name} ${y.get(name) ?? "(none)"}`);
        }
        if (same) identical++;
      }
    }
  }
  let tablesCompared = 0;
  for (const ns of [...new Set([...simTables.keys(), ...otherTables.keys()])].sort()) {
    const ta = simTables.get(ns);
    const tb = otherTables.get(ns);
    for (const table of TABLE_NAMES) {
      tablesCompared++;
      const la = ta?.[table] ?? [];
      const lb = tb?.[table] ?? [];
      if (table === "iptables" && la.join("\n") !== lb.join("\n") && la.length === lb.length) {
        la.forEach((l, k) => l !== lb[k] && note(`${ns} ${table}`, `line ${k + 1}: simulator \`${l}\`, ${other.name} \`${lb[k]}\``));
        continue;
      }
      for (const l of la) if (!lb.includes(l)) note(`${ns} ${table}`, `only in the simulator: \`${l}\``);
      for (const l of lb) if (!la.includes(l)) note(`${ns} ${table}`, `${other.only}: \`${l}\``);
    }
  }
  return {
    interfaces: interfaces.length,
    framesSimulated: [...a.values()].reduce((n, l) => n + l.length, 0),
    framesLinux: [...b.values()].reduce((n, l) => n + l.length, 0),
    framesPaired: paired,
    framesIdentical: identical,
    tablesCompared,
    differences: [...counted.values()].map((c) => ({ where: c.where, text: c.count > 1 ? `${c.text} (${c.count} frames)` : c.text })),
  };
}

/** Both sides' frames of each interface, one line each, for looking into a difference (CONFORMANCE_DEBUG=1). */
export function dumpFrames(sim: CapturedFrame[], other: CapturedFrame[] | Map<string, FrameFields[]>): string {
  const a = byInterface(sim, undefined);
  const b = other instanceof Map ? other : byInterface(other, undefined);
  const out: string[] = [];
  for (const where of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    out.push(`== ${where}`);
    for (const [side, list] of [["sim", a.get(where) ?? []], [other instanceof Map ? "exp" : "linux", b.get(where) ?? []]] as const) {
      for (const f of list) out.push(`  ${side.padEnd(5)} ${f.map(([k, v]) => `${k}=${v}`).join(" ")}`);
    }
  }
  return out.join("\n");
}
