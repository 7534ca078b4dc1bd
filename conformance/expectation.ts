/**
 * conformance/expectations/<scenario>.yaml: what Linux would do in a
 * scenario this machine cannot build (its kernel lacks a device kind, such
 * as IPIP's), written by hand, for the suite to hold the simulator to
 * instead of a capture. It states, per interface, the ordered frames as the
 * fields frame-fields.ts makes of a captured frame, one mapping per header
 * (`ip: { ttl: 63, df: 1, … }` for ip.ttl and ip.df; roles such as
 * `icmpid#1` numbered as the suite numbers them: interfaces in name order,
 * frames in order), and per namespace the seven final tables as tables.ts
 * prints them. The file's comments say where each value comes from. This
 * module reads and checks a file; it does not decide when one is used
 * (run.ts does: only when this kernel cannot make the device kind the file
 * `needs`).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";
import type { FrameFields } from "./frame-fields.js";
import { TABLE_NAMES, type Tables } from "./tables.js";

export interface Expectation {
  scenario: string;
  /** The file, relative to the repository, for the report to name. */
  file: string;
  /** The link kind (`ip link add … type <needs>`) whose absence makes the suite use this file. */
  needs: string;
  /** What the expectation stands for and how it was derived, in a sentence or two, for the report. */
  basis: string;
  frames: Map<string, FrameFields[]>;
  tables: Tables;
}

const WHERE = /^[^/\s]+\/[^/\s]+\/[^/\s]+$/;
const NAMESPACE = /^[^/\s]+\/[^/\s]+$/;
const DIRECTION = /^(out|in \((host|broadcast|multicast|otherhost)\))$/;
const FIELD = /^(inner\.)?[a-z]+(\.[a-z]+)?$/;

const isRecord = (x: unknown): x is Record<string, unknown> => typeof x === "object" && x !== null && !Array.isArray(x);

/** Reads and checks one expectation; `label` names it in errors and in the report. */
export function parseExpectation(text: string, label: string): Expectation {
  const fail = (what: string): never => {
    throw new Error(`${label}: ${what}`);
  };
  // Every scalar a string (the failsafe schema), as the compared fields are: 0x00 stays "0x00", 64 stays "64".
  const doc: unknown = parse(text, { schema: "failsafe" });
  if (!isRecord(doc)) return fail("expected a mapping with scenario, needs, basis, frames and tables");
  for (const key of Object.keys(doc)) if (!["scenario", "needs", "basis", "frames", "tables"].includes(key)) fail(`unknown key ${key}`);
  const str = (key: string): string => (typeof doc[key] === "string" && doc[key] !== "" ? (doc[key] as string) : fail(`${key} must be a non-empty string`));
  const scenario = str("scenario");
  const needs = str("needs");
  if (!/^[a-z0-9]+$/.test(needs)) fail(`needs must be a link kind such as ipip, got ${needs}`);
  const basis = str("basis").replace(/\s+/g, " ").trim();

  if (!isRecord(doc.frames)) return fail("frames must map host/namespace/device to a list of frames");
  const frames = new Map<string, FrameFields[]>();
  for (const [where, list] of Object.entries(doc.frames)) {
    if (!WHERE.test(where)) fail(`frames: ${where} is not host/namespace/device`);
    if (!Array.isArray(list) || list.length === 0) fail(`frames ${where}: expected a non-empty list of frames`);
    frames.set(
      where,
      (list as unknown[]).map((frame, k) => {
        const at = `frames ${where} #${k + 1}`;
        if (!isRecord(frame)) return fail(`${at}: expected dir and a mapping per header`);
        // `ip: { ttl: 63, … }` is the fields ip.ttl, …; a key with one value (dir) is a field itself.
        const fields: FrameFields = Object.entries(frame).flatMap(([key, value]): [string, string][] => {
          const entries: [string, unknown][] = isRecord(value) ? Object.entries(value).map(([sub, v]) => [`${key}.${sub}`, v]) : [[key, value]];
          return entries.map(([name, v]) => {
            if (!FIELD.test(name)) fail(`${at}: ${name} is not a field name (such as dir, ip.ttl or inner.icmp.type)`);
            if (typeof v !== "string") fail(`${at}: ${name} must be one value`);
            return [name, v as string];
          });
        });
        const dir = fields.find(([name]) => name === "dir");
        if (dir === undefined || !DIRECTION.test(dir[1])) fail(`${at}: dir must be out, or in (host|broadcast|multicast|otherhost)`);
        return fields;
      }),
    );
  }

  if (!isRecord(doc.tables)) return fail("tables must map host/namespace to its tables");
  const tables: Tables = new Map();
  for (const [ns, t] of Object.entries(doc.tables)) {
    if (!NAMESPACE.test(ns)) fail(`tables: ${ns} is not host/namespace`);
    if (!isRecord(t)) return fail(`tables ${ns}: expected ${TABLE_NAMES.join(", ")}`);
    for (const key of Object.keys(t)) if (!(TABLE_NAMES as string[]).includes(key)) fail(`tables ${ns}: unknown table ${key}`);
    // Every table stated, an empty one as []: a table left out would otherwise pass as empty unnoticed.
    const lines = (name: string): string[] => {
      const l = t[name];
      if (!Array.isArray(l) || l.some((x) => typeof x !== "string")) return fail(`tables ${ns}: ${name} must be a list of lines ([] when empty)`);
      return l as string[];
    };
    tables.set(ns, { link: lines("link"), addr: lines("addr"), route: lines("route"), neigh: lines("neigh"), fdb: lines("fdb"), iptables: lines("iptables"), conntrack: lines("conntrack") });
  }
  return { scenario, file: label, needs, basis, frames, tables };
}

/** The expectation for a scenario in `dir` (conformance/expectations/), or null when it has none. */
export function expectationFor(dir: string, scenario: string, root: string): Expectation | null {
  const file = path.join(dir, `${scenario}.yaml`);
  if (!existsSync(file)) return null;
  const e = parseExpectation(readFileSync(file, "utf8"), path.relative(root, file));
  if (e.scenario !== scenario) throw new Error(`${e.file}: scenario ${e.scenario} in the file of ${scenario}`);
  return e;
}
