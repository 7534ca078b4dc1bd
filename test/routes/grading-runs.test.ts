/**
 * The instructors' side of grading: POST /api/grading/runs grades a lab's
 * sessions in the background and stores the run; GET /api/grading/runs/:id
 * shows it per session, per task, per check, or exports it as CSV or JUnit
 * XML. Runs are instructors' only.
 */
import { describe, expect, it } from "vitest";
import type { RunView } from "../../server/grading/run-view.js";
import { CSV_COLUMNS } from "../../server/grading/export-csv.js";
import { bearer, buildTestApp, createToken, startSession, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { playSolution, waitForRun } from "../helpers/grading.js";
import { freshDatabase } from "../helpers/test-database.js";
import { loadLab } from "../engine/helpers/lab-engine.js";

const instructor = bearer(TEST_INSTRUCTOR_TOKEN);

describe("grading runs", () => {
  it("grade every session of a lab: the solution at full marks, an untouched session at 0, stored per session, task and check", async () => {
    const app = await buildTestApp();
    const li = await createToken(app, "Li Wei");
    const zhang = await createToken(app, "Zhang San");
    const solved = await startSession(app, li.token, "flannel-vxlan");
    const untouched = await startSession(app, zhang.token, "flannel-vxlan");
    await startSession(app, zhang.token, "host-gw");
    await playSolution(app, li.token, solved, "flannel-vxlan");

    const started = await app.inject({ method: "POST", url: "/api/grading/runs", headers: instructor, payload: { labId: "flannel-vxlan" } });
    expect(started.statusCode).toBe(202);
    const summary = started.json<RunView>();
    expect(summary).toMatchObject({ labId: "flannel-vxlan", status: "running", progress: { total: 2 }, maxScore: 65, createdBy: { name: "instructor" } });
    expect(started.headers["location"]).toBe(`/api/grading/runs/${summary.id}`);

    const run = await waitForRun(app, summary.id);
    expect(run).toMatchObject({ status: "done", progress: { total: 2, graded: 2 }, finishedAt: expect.any(String) });
    expect(run.tasks.map((task) => task.id)).toEqual(["vtep", "cross-node-ping", "mtu", "add-node3", "pod-bridge"]);
    const bySession = new Map(run.sessions.map((session) => [session.sessionId, session]));
    expect(bySession.get(solved)).toMatchObject({ owner: { id: li.id, name: "Li Wei" }, score: 65, maxScore: 65, error: null });
    expect(bySession.get(untouched)).toMatchObject({ owner: { name: "Zhang San" }, score: 0, maxScore: 65 });
    const route = bySession.get(untouched)!.tasks.find((task) => task.taskId === "add-node3")!;
    expect(route).toMatchObject({ points: 20, earned: 0, status: "failed", passed: false });
    expect(route.checks[0]).toEqual({ index: 0, kind: "route", status: "failed", passed: false, points: 0, feedback: loadLab("flannel-vxlan").tasks![3]!.checks[0]!.feedback });

    const list = (await app.inject({ method: "GET", url: "/api/grading/runs?labId=flannel-vxlan", headers: instructor })).json<{ runs: Array<{ id: string }>; total: number }>();
    expect(list).toMatchObject({ total: 1, runs: [{ id: summary.id }] });
  });

  it("export as CSV (a row per session and task) and as JUnit XML (a testsuite per session, a testcase per check)", async () => {
    const app = await buildTestApp();
    const li = await createToken(app, "Li, \"Wei\"");
    const id = await startSession(app, li.token, "host-gw");
    const lab = loadLab("host-gw");
    // Everything but the last step of the solution: add-node3 fails.
    await playSolution(app, li.token, id, "host-gw", lab.solution!.slice(0, -1));
    const runId = (await app.inject({ method: "POST", url: "/api/grading/runs", headers: instructor, payload: { labId: "host-gw", sessionIds: [id] } })).json<{ id: string }>().id;
    await waitForRun(app, runId);

    const csv = await app.inject({ method: "GET", url: `/api/grading/runs/${runId}?format=csv`, headers: instructor });
    expect(csv.headers["content-type"]).toBe("text/csv; charset=utf-8");
    expect(csv.headers["content-disposition"]).toBe(`attachment; filename="grading-host-gw-${runId.slice(0, 8)}.csv"`);
    const lines = csv.body.split("\r\n");
    expect(lines[0]).toBe(CSV_COLUMNS.join(","));
    expect(lines).toHaveLength(1 + lab.tasks!.length + 1);
    expect(lines.at(-1)).toBe("");
    expect(lines[1]).toMatch(new RegExp(`^${runId},host-gw,${id},${li.id},"Li, ""Wei""",read-route,"A route, not a tunnel",passed,10,10,2,2,,40,60,\\d{4}-`));
    expect(lines[4]).toContain(`,add-node3,Route a new node,failed,0,20,0,1,${lab.tasks![3]!.checks[0]!.feedback.en},40,60,`);

    const junit = await app.inject({ method: "GET", url: `/api/grading/runs/${runId}?format=junit`, headers: instructor });
    expect(junit.headers["content-type"]).toBe("application/xml; charset=utf-8");
    const xml = junit.body;
    expect(xml).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="cnlab grading host-gw" tests="10" failures="1" errors="0" skipped="0"/);
    expect(xml).toContain(`<testsuite name="Li, &quot;Wei&quot; (${id})" tests="10" failures="1" errors="0" skipped="0"`);
    expect(xml.match(/<testcase /g)).toHaveLength(10);
    expect(xml).toContain(`<testcase classname="host-gw.add-node3" name="check 1: route" time="0">\n      <failure message="node1 has no route that sends node3&apos;s pod subnet to node3 itself." type="route">`);
    expect(xml).toContain('<property name="score" value="40"/>');
  });

  it("are for instructors: a student gets 403; unknown labs and runs 404; sessions must belong to the lab", async () => {
    const app = await buildTestApp();
    const li = await createToken(app, "Li Wei");
    const other = await startSession(app, li.token, "host-gw");
    const post = (payload: object, headers = instructor) => app.inject({ method: "POST", url: "/api/grading/runs", headers, payload });

    expect((await post({ labId: "host-gw" }, bearer(li.token))).statusCode).toBe(403);
    expect((await app.inject({ method: "GET", url: "/api/grading/runs", headers: bearer(li.token) })).statusCode).toBe(403);
    expect((await post({ labId: "no-such-lab" })).json()).toEqual({ error: { code: "LAB_NOT_FOUND", message: 'No lab with id "no-such-lab"' } });
    const wrongLab = await post({ labId: "calico", sessionIds: [other] });
    expect(wrongLab.statusCode).toBe(400);
    expect(wrongLab.json()).toMatchObject({ error: { code: "SESSION_NOT_IN_LAB" } });
    expect((await post({ labId: "calico", sessionIds: ["00000000-0000-4000-8000-000000000000"] })).json()).toMatchObject({ error: { code: "SESSION_NOT_FOUND" } });
    expect((await app.inject({ method: "GET", url: "/api/grading/runs/00000000-0000-4000-8000-000000000000", headers: instructor })).json()).toMatchObject({
      error: { code: "GRADING_RUN_NOT_FOUND" },
    });

    // A lab nobody has started: the run is done at once, with nothing in it.
    const empty = await waitForRun(app, (await post({ labId: "calico" })).json<{ id: string }>().id);
    expect(empty).toMatchObject({ status: "done", progress: { total: 0, graded: 0 }, sessions: [] });
  });

  it("a run a stopped server left unfinished is marked interrupted at the next start", async () => {
    const database = await freshDatabase();
    const first = await buildTestApp({ databaseUrl: database.url });
    await first.prisma.gradingRun.create({ data: { id: "3f8a2c1e-0000-4000-8000-000000000001", labId: "host-gw", status: "running", sessionCount: 3, tasks: "[]" } });
    await first.close();

    const second = await buildTestApp({ databaseUrl: database.url });
    const run = (await second.inject({ method: "GET", url: "/api/grading/runs/3f8a2c1e-0000-4000-8000-000000000001", headers: instructor })).json<RunView>();
    expect(run).toMatchObject({ status: "interrupted", progress: { total: 3, graded: 0 }, finishedAt: expect.any(String) });
  });
});
