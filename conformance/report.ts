/**
 * docs/conformance.md: what was compared, a table of every scenario's
 * counts, and per scenario "identical" or each difference in one line with
 * whether the allow-list lets it pass and why. A scenario compared with a
 * hand-written expectation instead of a capture is counted apart and says so.
 */
import type { AllowEntry } from "./allow-list.js";
import type { Comparison, Difference } from "./compare.js";
import type { Expectation } from "./expectation.js";
import type { Scenario } from "./scenarios.js";

export interface ScenarioOutcome {
  scenario: Scenario;
  /** Null when the scenario could not be built on this machine and has no expectation to stand in. */
  comparison: Comparison | null;
  notBuilt: string | null;
  /** Set when the comparison is with a hand-written expectation (this machine could not build the scenario), not a capture. */
  expectation?: Expectation;
  judged: { difference: Difference; allowedBy: AllowEntry | undefined }[];
  leftBehind: string[];
}

export function totals(outcomes: ScenarioOutcome[]) {
  const compared = outcomes.filter((o) => o.comparison !== null);
  const sum = (f: (c: Comparison) => number, among = compared) => among.reduce((n, o) => n + f(o.comparison!), 0);
  const expected = compared.filter((o) => o.expectation !== undefined);
  const all = outcomes.flatMap((o) => o.judged);
  return {
    scenarios: outcomes.length,
    built: compared.length - expected.length,
    /** Scenarios compared with a hand-written expectation, and the frames it states. */
    expected: expected.length,
    framesExpected: sum((c) => c.framesLinux, expected),
    identicalScenarios: compared.filter((o) => o.judged.length === 0).length,
    framesPaired: sum((c) => c.framesPaired),
    framesIdentical: sum((c) => c.framesIdentical),
    framesSimulated: sum((c) => c.framesSimulated),
    framesLinux: sum((c) => c.framesLinux) - sum((c) => c.framesLinux, expected),
    tables: sum((c) => c.tablesCompared),
    differences: all.length,
    allowed: all.filter((j) => j.allowedBy !== undefined).length,
    bugs: all.filter((j) => j.allowedBy?.kind === "bug").length,
    varying: all.filter((j) => j.allowedBy?.varies === true).length,
    unexplained: all.filter((j) => j.allowedBy === undefined).length,
  };
}

export function writeReport(outcomes: ScenarioOutcome[], machine: string): string {
  const t = totals(outcomes);
  const lines = [
    "# Conformance: the simulator against Linux",
    "",
    "Written by `npm run conformance` (conformance/run.ts); do not edit by hand.",
    `Last run on ${machine}.`,
    "",
    "Each scenario (every shipped lab with its walkthrough's traffic and state-changing commands, and the",
    "suite's own scenarios) is built twice: in real network namespaces by the lab script",
    "(`GET /api/labs/:id/script`), captured per namespace with `tcpdump -i any`, and in the simulator",
    "with its capture hook. Per interface the ordered frames are compared field by field (every",
    "header field that is not drawn at random; the IP id as zero or not; ICMP ids, ports from 1024 up and",
    "TCP sequence numbers by role; no checksums, no destination MAC), then per namespace the final",
    "links, addresses, main routes, neighbours, learned FDB entries, iptables rules with counters and",
    "conntrack entries. A difference passes only when `conformance/allow-list.yaml` lists it with a reason.",
    "",
    "A scenario this machine's kernel cannot build (it lacks a device kind, such as IPIP's) is compared instead with a",
    "hand-written expectation of what Linux would do (`conformance/expectations/<scenario>.yaml`: the frames and tables",
    "it states, each non-obvious value with its source in the kernel's code); its section says so, and its counts are",
    "of expected frames, not captured ones.",
    "",
    `Totals: ${t.scenarios} scenarios, ${t.built} built on this machine, ${t.expected} compared with a hand-written expectation instead, ${t.identicalScenarios} identical;`,
    `${t.framesSimulated} simulated frames, ${t.framesLinux} real and ${t.framesExpected} expected ones, ${t.framesPaired} paired, ${t.framesIdentical} identical;`,
    `${t.tables} tables compared; ${t.differences} differences, ${t.allowed} allowed (${t.bugs} of them engine bugs still to fix), ${t.unexplained} not allowed.`,
    "",
    `Stable and varying counts: ${t.varying} of the ${t.differences} differences come from what Linux does in some runs`,
    "and not in others (marked *varies between runs* below: IGMP membership reports sent when an",
    "address comes up, kube-proxy's random choice of a backend, the order of a bridge loop's storm), and",
    "so do the real frame counts, the paired and identical frames and the scenarios found identical",
    "(each IGMP report is a real frame the simulator does not send). Everything else is the same from",
    `run to run: the simulator is deterministic, and the other ${t.differences - t.varying} differences are too.`,
    "",
    "| scenario | interfaces | frames sim / Linux (or expected) | paired | identical | tables | differences (allowed; varying) |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const o of outcomes) {
    const c = o.comparison;
    const allowed = o.judged.filter((j) => j.allowedBy !== undefined).length;
    const varying = o.judged.filter((j) => j.allowedBy?.varies === true).length;
    lines.push(
      c === null
        ? `| ${o.scenario.id} | not built | | | | | |`
        : `| ${o.scenario.id} | ${c.interfaces} | ${c.framesSimulated} / ${c.framesLinux}${o.expectation === undefined ? "" : " expected"} | ${c.framesPaired} | ${c.framesIdentical} | ${c.tablesCompared} | ${o.judged.length} (${allowed}; ${varying}) |`,
    );
  }
  for (const o of outcomes) {
    lines.push("", `## ${o.scenario.id}`, "", `${o.scenario.title}.`, "");
    if (o.scenario.commands.length > 0) lines.push(`Commands: ${o.scenario.commands.map((c) => `\`${c.host}${c.namespace === undefined ? "" : `/${c.namespace}`}$ ${c.command}\``).join(", ")}.`, "");
    else lines.push("No walkthrough command sends traffic or changes state: only the tables are compared.", "");
    if (o.expectation !== undefined) {
      lines.push(`Not built on this machine (${o.notBuilt ?? "it lacks a kernel feature"}): compared with a hand-written expectation, \`${o.expectation.file}\`, not with a capture. ${o.expectation.basis}`, "");
      if (o.judged.length === 0) lines.push("Identical to the expectation.");
    } else if (o.notBuilt !== null) lines.push(`Not built on this machine: ${o.notBuilt}`);
    else if (o.judged.length === 0) lines.push("Identical.");
    for (const j of o.judged) {
      const verdict = j.allowedBy === undefined ? "**not allowed**" : `allowed (${j.allowedBy.kind}${j.allowedBy.varies === true ? ", *varies between runs*" : ""}): ${j.allowedBy.reason}`;
      lines.push(`- \`${j.difference.where}\` ${j.difference.text} — ${verdict}`);
    }
    if (o.leftBehind.length > 0) lines.push(`- **the cleanup left namespaces behind**: ${o.leftBehind.join(", ")}`);
  }
  return `${lines.join("\n")}\n`;
}
