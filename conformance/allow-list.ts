/**
 * conformance/allow-list.yaml: the differences the suite knows of and lets
 * pass, each with its reason. An entry names the scenario (or `*`), a
 * regular expression on where (interface or table) and one on the
 * difference's text, why it is allowed, and what it is: `bug` (the engine
 * should do what Linux does, and does not yet), `model` (the simulator
 * models something on purpose in a simpler way) or `environment` (this
 * machine or the real build lacks something the simulated lab has).
 * `varies: true` marks a difference Linux makes in some runs and not in
 * others (its IGMP reports, a random backend, a storm's order): the report
 * counts those apart, so a reader knows which counts hold from run to run.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { Difference } from "./compare.js";

export interface AllowEntry {
  scenario: string;
  where: string;
  difference: string;
  kind: "bug" | "model" | "environment";
  reason: string;
  varies?: boolean;
}

export function readAllowList(file: string): AllowEntry[] {
  const doc = parse(readFileSync(file, "utf8")) as { allowed?: AllowEntry[] } | null;
  const entries = doc?.allowed ?? [];
  for (const e of entries) {
    if (typeof e.scenario !== "string" || typeof e.where !== "string" || typeof e.difference !== "string" || typeof e.reason !== "string" || !["bug", "model", "environment"].includes(e.kind) || (e.varies !== undefined && typeof e.varies !== "boolean")) {
      throw new Error(`${file}: every entry needs scenario, where, difference, kind (bug|model|environment) and reason, and varies only as true or false: ${JSON.stringify(e)}`);
    }
  }
  return entries;
}

export function allowedBy(entries: AllowEntry[], scenario: string, d: Difference): AllowEntry | undefined {
  return entries.find((e) => (e.scenario === "*" || e.scenario === scenario) && new RegExp(e.where).test(d.where) && new RegExp(e.difference).test(d.text));
}
