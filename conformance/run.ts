/**
 * `npm run conformance`: every scenario built in real namespaces and in the
 * simulator, compared, the report written to docs/conformance.md, and a
 * non-zero exit when a difference is not in conformance/allow-list.yaml or
 * the cleanup left something behind. Needs root, iproute2, iptables,
 * tcpdump, conntrack and python3 (the lab script's listeners and flanneld).
 * `npm run conformance -- <scenario> …` runs only those and does not touch
 * the report. CONFORMANCE_PREFIX names the run's namespaces (default
 * cnconf-), for two runs side by side. A scenario this kernel cannot build
 * (it lacks a device kind) that has a hand-written expectation in
 * conformance/expectations/ is compared with that instead, and says so.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { allowedBy, readAllowList } from "./allow-list.js";
import { compareRuns, compareWithExpectation, dumpFrames } from "./compare.js";
import { expectationFor } from "./expectation.js";
import { kernelMakes } from "./kernel-features.js";
import { runOnLinux, simulatedHttpAnswer } from "./linux-run.js";
import { totals, writeReport, type ScenarioOutcome } from "./report.js";
import { extraScenarios, labScenarios } from "./scenarios.js";
import { runSimulated } from "./simulated-run.js";
import type { Tables } from "./tables.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/**
 * Every namespace the suite makes starts with this, so a previous run's leftovers can be found;
 * CONFORMANCE_PREFIX gives another, so that two runs on one machine leave each other alone.
 */
const PREFIX = process.env.CONFORMANCE_PREFIX ?? "cnconf-";
/** Runs of a scenario with a random draw (kube-proxy's backends) until Linux draws what the simulator drew. */
const RANDOM_ATTEMPTS = 10;
const TOOLS = ["ip", "bridge", "tcpdump", "iptables-save", "conntrack", "python3"];

function preflight(): void {
  if (!/^[a-z][a-z0-9-]{0,15}-$/.test(PREFIX)) {
    console.error("conformance: CONFORMANCE_PREFIX must be a few lower-case letters, digits and '-', ending in '-'");
    process.exit(2);
  }
  if (process.getuid?.() !== 0) {
    console.error("conformance: must run as root (it builds network namespaces)");
    process.exit(2);
  }
  const missing = TOOLS.filter((t) => {
    try {
      execFileSync("sh", ["-c", `command -v ${t}`], { stdio: "ignore" });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length > 0) {
    console.error(`conformance: missing tools: ${missing.join(", ")}`);
    process.exit(2);
  }
  // A run stopped half-way leaves its namespaces: they are ours, by prefix.
  for (const line of execFileSync("ip", ["netns", "list"], { encoding: "utf8" }).split("\n")) {
    const name = line.split(" ")[0]!;
    if (name.startsWith(PREFIX)) execFileSync("ip", ["netns", "del", name]);
  }
}

function sameDraw(a: Tables, b: Tables): boolean {
  const entries = (t: Tables) => [...t.values()].flatMap((x) => x.conntrack).sort().join("\n");
  return entries(a) === entries(b);
}

async function main(): Promise<void> {
  preflight();
  const only = process.argv.slice(2);
  const allow = readAllowList(path.join(ROOT, "conformance", "allow-list.yaml"));
  const scenarios = [...labScenarios(path.join(ROOT, "labs")), ...extraScenarios()].filter((s) => only.length === 0 || only.includes(s.id));
  const outcomes: ScenarioOutcome[] = [];
  for (const [i, scenario] of scenarios.entries()) {
    const started = Date.now();
    const sim = runSimulated(scenario);
    let outcome: ScenarioOutcome;
    const expectation = expectationFor(path.join(ROOT, "conformance", "expectations"), scenario.id, ROOT);
    if (expectation !== null && !kernelMakes(expectation.needs, PREFIX)) {
      // This kernel cannot build the scenario: the simulator is held to a hand-written statement of what Linux would do.
      const comparison = compareWithExpectation(sim, expectation);
      if (process.env.CONFORMANCE_DEBUG === "1") console.log(dumpFrames(sim.frames, expectation.frames));
      outcome = { scenario, comparison, notBuilt: `this kernel cannot make ${expectation.needs} devices`, expectation, judged: comparison.differences.map((d) => ({ difference: d, allowedBy: allowedBy(allow, scenario.id, d) })), leftBehind: [] };
    } else try {
      const random = [...sim.tables.values()].some((t) => t.iptables.some((l) => l.includes("--mode random")));
      let linux = await runOnLinux(scenario, `${PREFIX}${i}-`, simulatedHttpAnswer(sim.frames));
      // kube-proxy's `-m statistic --mode random` draws a backend: on Linux at random, in the simulator
      // from the seed. Linux is asked again until it draws the simulator's (the same conntrack entries).
      for (let attempt = 1; random && !sameDraw(sim.tables, linux.tables) && attempt < RANDOM_ATTEMPTS; attempt++) {
        linux = await runOnLinux(scenario, `${PREFIX}${i}-`, simulatedHttpAnswer(sim.frames));
      }
      if (random && !sameDraw(sim.tables, linux.tables)) throw new Error(`Linux's random draw (-m statistic) did not pick the simulator's backend in ${RANDOM_ATTEMPTS} runs: not compared`);
      const comparison = compareRuns(sim, linux, scenario.frameLimit);
      if (process.env.CONFORMANCE_DEBUG === "1") console.log(dumpFrames(sim.frames, linux.frames));
      outcome = { scenario, comparison, notBuilt: null, judged: comparison.differences.map((d) => ({ difference: d, allowedBy: allowedBy(allow, scenario.id, d) })), leftBehind: linux.leftBehind };
    } catch (e) {
      const reason = (e as Error).message;
      const d = { where: "build", text: reason };
      outcome = { scenario, comparison: null, notBuilt: reason, judged: [{ difference: d, allowedBy: allowedBy(allow, scenario.id, d) }], leftBehind: [] };
    }
    outcomes.push(outcome);
    const bad = outcome.judged.filter((j) => j.allowedBy === undefined).length;
    console.log(`${scenario.id}: ${outcome.comparison === null ? "not built" : `${outcome.comparison.framesPaired} frames paired${outcome.expectation === undefined ? "" : ` with the hand-written expectation ${outcome.expectation.file}`}, ${outcome.judged.length} differences`}${bad > 0 ? `, ${bad} not allowed` : ""} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    for (const j of outcome.judged) if (j.allowedBy === undefined) console.log(`  ${j.difference.where}: ${j.difference.text}`);
  }
  if (only.length === 0) {
    const kernel = execFileSync("uname", ["-sr"], { encoding: "utf8" }).trim();
    writeFileSync(path.join(ROOT, "docs", "conformance.md"), writeReport(outcomes, `${kernel}, ${new Date().toISOString().slice(0, 10)}`));
  }
  const t = totals(outcomes);
  const unused = allow.filter((e) => !outcomes.some((o) => o.judged.some((j) => j.allowedBy === e)) && (only.length === 0 || only.includes(e.scenario)));
  for (const e of unused) console.log(`allow-list entry ${e.varies === true ? "not met this run (it varies between runs)" : "no longer needed"}: ${e.scenario} ${e.where} /${e.difference}/`);
  const left = outcomes.flatMap((o) => o.leftBehind);
  console.log(`${t.scenarios} scenarios: ${t.framesPaired} frames paired (${t.framesIdentical} identical), ${t.tables} tables; ${t.differences} differences, ${t.allowed} allowed, ${t.unexplained} not allowed`);
  if (t.unexplained > 0 || left.length > 0) process.exit(1);
}

await main();
