/**
 * The export formats on hand-made runs: CSV quoting and its guard against
 * spreadsheet formulas, rows for skipped tasks and ungradable sessions; JUnit
 * XML escaping, skipped checks and errors.
 */
import { describe, expect, it } from "vitest";
import { csvField, runToCsv } from "../../server/grading/export-csv.js";
import { escapeXml, runToJunit } from "../../server/grading/export-junit.js";
import type { RunView } from "../../server/grading/run-view.js";

const FEEDBACK = { en: 'Use <ip route> & check "via"', zh: "看看 <ip route> 和 “via”" };

const run: RunView = {
  id: "run-1",
  labId: "host-gw",
  status: "done",
  createdAt: "2026-01-01T00:00:00.000Z",
  finishedAt: "2026-01-01T00:00:01.000Z",
  createdBy: { id: "t0", name: "instructor" },
  progress: { total: 2, graded: 2 },
  maxScore: 30,
  tasks: [
    { id: "first", title: { en: "First", zh: "一" }, points: 10 },
    { id: "second", title: { en: "Second", zh: "二" }, points: 20 },
  ],
  sessions: [
    {
      sessionId: "s1",
      owner: { id: "u1", name: "=HYPERLINK(\"x\")" },
      score: 0,
      maxScore: 30,
      error: null,
      gradedAt: "2026-01-01T00:00:00.500Z",
      tasks: [
        { taskId: "first", points: 10, earned: 0, status: "failed", passed: false, checks: [{ index: 0, kind: "route", status: "failed", passed: false, points: 0, feedback: FEEDBACK }] },
        {
          taskId: "second",
          points: 20,
          earned: 0,
          status: "skipped",
          passed: false,
          checks: [0, 1].map((index) => ({ index, kind: "reachable" as const, status: "skipped" as const, passed: false, points: 0, feedback: { en: 'Finish the task "First" first.', zh: "请先完成任务“一”。" } })),
        },
      ],
    },
    { sessionId: "s2", owner: { id: "u2", name: "李伟" }, score: 0, maxScore: 30, error: "the session's network cannot be rebuilt\u0001", gradedAt: "2026-01-01T00:00:00.900Z", tasks: [] },
  ],
};

describe("CSV export", () => {
  it("quotes fields with commas, quotes or line breaks, and defuses cells a spreadsheet would evaluate", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('a,"b"')).toBe('"a,""b"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("=1+1")).toBe("'=1+1");
    expect(csvField("-2")).toBe("'-2");
    expect(csvField(-2)).toBe("-2");
  });

  it("writes a row per session and task, a skipped task's reason once, and one error row for a session that could not be graded", () => {
    const lines = runToCsv(run).split("\r\n");
    expect(lines).toHaveLength(5);
    expect(lines[1]).toBe(`run-1,host-gw,s1,u1,"'=HYPERLINK(""x"")",first,First,failed,0,10,0,1,"Use <ip route> & check ""via""",0,30,2026-01-01T00:00:00.500Z`);
    expect(lines[2]).toBe(`run-1,host-gw,s1,u1,"'=HYPERLINK(""x"")",second,Second,skipped,0,20,0,2,"Finish the task ""First"" first.",0,30,2026-01-01T00:00:00.500Z`);
    expect(lines[3]).toBe("run-1,host-gw,s2,u2,李伟,,,error,0,30,0,0,the session's network cannot be rebuilt\u0001,0,30,2026-01-01T00:00:00.900Z");
  });
});

describe("JUnit XML export", () => {
  it("escapes markup and drops characters XML cannot carry", () => {
    expect(escapeXml(`<a href="x">'&'</a>\u0000\u0008`)).toBe("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
  });

  it("a failing check is a failure with the feedback in both languages; a skipped one is skipped; an ungradable session an error", () => {
    const xml = runToJunit(run);
    expect(xml).toContain('<testsuites name="cnlab grading host-gw" tests="4" failures="1" errors="1" skipped="2"');
    expect(xml).toContain(
      '<testcase classname="host-gw.first" name="check 1: route" time="0">\n      <failure message="Use &lt;ip route&gt; &amp; check &quot;via&quot;" type="route">Use &lt;ip route&gt; &amp; check &quot;via&quot;\n看看 &lt;ip route&gt; 和 “via”</failure>',
    );
    expect(xml).toContain('<testcase classname="host-gw.second" name="check 2: reachable" time="0">\n      <skipped message="Finish the task &quot;First&quot; first."/>');
    expect(xml).toContain('<testsuite name="李伟 (s2)" tests="1" failures="0" errors="1" skipped="0"');
    expect(xml).toContain("<error message=\"the session&apos;s network cannot be rebuilt\" type=\"not-gradable\"/>");
    expect(xml).toContain('<property name="student" value="=HYPERLINK(&quot;x&quot;)"/>');
  });
});
