/**
 * A grading run as JUnit XML, the format CI dashboards read: a testsuite per
 * session (named after the student), a testcase per check (classname
 * lab.task, name "check N: kind"). A failing check is a <failure> carrying
 * the lab's feedback; a check of a skipped task is <skipped>; a session that
 * could not be graded is one testcase with an <error>. Every attribute and
 * text is XML-escaped, and characters XML 1.0 cannot carry are dropped.
 */
import type { RunView, SessionResultView } from "./run-view.js";

export function runToJunit(run: RunView): string {
  const suites = run.sessions.map((session) => suite(run, session));
  const total = (key: keyof SuiteCounts) => suites.reduce((sum, s) => sum + s.counts[key], 0);
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites${attributes({
      name: `cnlab grading ${run.labId}`,
      tests: total("tests"),
      failures: total("failures"),
      errors: total("errors"),
      skipped: total("skipped"),
      time: 0,
      timestamp: run.createdAt,
    })}>`,
    ...suites.map((s) => s.xml),
    "</testsuites>",
    "",
  ].join("\n");
}

interface SuiteCounts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function suite(run: RunView, session: SessionResultView): { xml: string; counts: SuiteCounts } {
  const cases: string[] = [];
  const counts: SuiteCounts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
  if (session.error !== null) {
    counts.tests = 1;
    counts.errors = 1;
    cases.push(`    <testcase${attributes({ classname: run.labId, name: "grading", time: 0 })}>`);
    cases.push(`      <error${attributes({ message: session.error, type: "not-gradable" })}/>`);
    cases.push("    </testcase>");
  }
  for (const task of session.tasks) {
    for (const check of task.checks) {
      counts.tests++;
      const open = `    <testcase${attributes({ classname: `${run.labId}.${task.taskId}`, name: `check ${check.index + 1}: ${check.kind}`, time: 0 })}`;
      if (check.status === "passed") {
        cases.push(`${open}/>`);
        continue;
      }
      const feedback = check.feedback ?? { en: "", zh: "" };
      cases.push(`${open}>`);
      if (check.status === "skipped") {
        counts.skipped++;
        cases.push(`      <skipped${attributes({ message: feedback.en })}/>`);
      } else {
        counts.failures++;
        cases.push(`      <failure${attributes({ message: feedback.en, type: check.kind })}>${text(`${feedback.en}\n${feedback.zh}`)}</failure>`);
      }
      cases.push("    </testcase>");
    }
  }
  const properties = { run: run.id, lab: run.labId, session: session.sessionId, student: session.owner.name, studentId: session.owner.id, score: session.score, maxScore: session.maxScore };
  const xml = [
    `  <testsuite${attributes({ name: `${session.owner.name} (${session.sessionId})`, ...counts, time: 0, timestamp: session.gradedAt })}>`,
    "    <properties>",
    ...Object.entries(properties).map(([name, value]) => `      <property${attributes({ name, value })}/>`),
    "    </properties>",
    ...cases,
    "  </testsuite>",
  ].join("\n");
  return { xml, counts };
}

function attributes(values: Record<string, string | number>): string {
  return Object.entries(values)
    // Line breaks in an attribute would be read back as spaces: keep them as references.
    .map(([name, value]) => ` ${name}="${escapeXml(String(value)).replaceAll("\n", "&#10;").replaceAll("\r", "&#13;").replaceAll("\t", "&#9;")}"`)
    .join("");
}

function text(value: string): string {
  return escapeXml(value);
}

/** Escapes markup characters and drops what XML 1.0 cannot hold (control characters other than tab, LF, CR; lone surrogates). */
export function escapeXml(value: string): string {
  return value
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&apos;");
}
