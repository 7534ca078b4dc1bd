/**
 * A student's side of grading: GET /api/sessions/:id/progress grades their
 * session now, POST /api/sessions/:id/answers records answers, both for their
 * own sessions only. And grading, by progress or by a run, looks at a copy:
 * the session's state and trace are the same before and after.
 */
import { describe, expect, it } from "vitest";
import type { ProgressView } from "../../server/routes/sessions/progress.js";
import { bearer, buildTestApp, createToken, startSession, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { playSolution, waitForRun } from "../helpers/grading.js";
import { startLabSession } from "../helpers/lab-session.js";
import { loadLab } from "../engine/helpers/lab-engine.js";

describe("GET /api/sessions/:id/progress", () => {
  it("grades an untouched session at 0 with the lab's feedback, and the reference solution at full marks", async () => {
    const session = await startLabSession("bridge-two-containers");
    const lab = loadLab("bridge-two-containers");

    const before = (await session.get(`/api/sessions/${session.id}/progress`)).json<ProgressView>();
    expect(before).toMatchObject({ sessionId: session.id, labId: "bridge-two-containers", score: 0, maxScore: 60 });
    const ping = before.tasks.find((task) => task.taskId === "ping-nginx-2")!;
    expect(ping).toMatchObject({ title: lab.tasks![0]!.title, points: 10, earned: 0, status: "failed", passed: false });
    expect(ping.checks[0]).toEqual({ index: 0, kind: "trace-seen", status: "failed", passed: false, points: 0, feedback: lab.tasks![0]!.checks[0]!.feedback });
    expect(before.tasks.find((task) => task.taskId === "learned-macs")?.status).toBe("skipped");

    await playSolution(session.app, session.token, session.id, "bridge-two-containers");
    const after = (await session.get(`/api/sessions/${session.id}/progress`)).json<ProgressView>();
    expect(after.score).toBe(60);
    expect(after.tasks.every((task) => task.passed && task.checks.every((check) => check.feedback === null))).toBe(true);
    expect(after.tasks.find((task) => task.taskId === "third-container")?.checks.map((check) => check.points)).toEqual([7, 7, 6]);
  });

  it("is the owner's (and instructors'): another student gets 403, no token 401, an unknown session 404", async () => {
    const session = await startLabSession("host-gw");
    expect((await session.get(`/api/sessions/${session.id}/progress`, await session.otherStudentToken())).statusCode).toBe(403);
    expect((await session.get(`/api/sessions/${session.id}/progress`, null)).statusCode).toBe(401);
    expect((await session.get(`/api/sessions/${session.id}/progress`, TEST_INSTRUCTOR_TOKEN)).statusCode).toBe(200);
    const missing = await session.get("/api/sessions/00000000-0000-4000-8000-000000000000/progress");
    expect(missing.json()).toMatchObject({ error: { code: "SESSION_NOT_FOUND" } });
  });
});

describe("POST /api/sessions/:id/answers", () => {
  it("records an answer trimmed; the latest one counts", async () => {
    const session = await startLabSession("host-gw");
    const answer = (value: string) =>
      session.app.inject({ method: "POST", url: `/api/sessions/${session.id}/answers`, headers: bearer(session.token), payload: { taskId: "read-route", value } });

    const first = await answer("  10.168.0.3 \n");
    expect(first.statusCode).toBe(201);
    expect(first.json()).toEqual({ taskId: "read-route", value: "10.168.0.3", createdAt: expect.any(String) });
    const answerCheck = async () => (await session.get(`/api/sessions/${session.id}/progress`)).json<ProgressView>().tasks[0]!.checks[1]!.status;
    expect(await answerCheck()).toBe("passed");
    await answer("10.168.0.4");
    expect(await answerCheck()).toBe("failed");
  });

  it("refuses tasks that do not exist or ask no question, blank answers, and other students' sessions", async () => {
    const session = await startLabSession("host-gw");
    const post = (payload: object, token = session.token) => session.app.inject({ method: "POST", url: `/api/sessions/${session.id}/answers`, headers: bearer(token), payload });

    expect((await post({ taskId: "no-such-task", value: "x" })).json()).toMatchObject({ error: { code: "TASK_NOT_FOUND" } });
    const noQuestion = await post({ taskId: "add-node3", value: "x" });
    expect(noQuestion.statusCode).toBe(400);
    expect(noQuestion.json()).toMatchObject({ error: { code: "TASK_TAKES_NO_ANSWER" } });
    expect((await post({ taskId: "read-route", value: "   " })).json()).toMatchObject({ error: { code: "VALIDATION_ERROR" } });
    expect((await post({ taskId: "read-route", value: "10.168.0.3" }, await session.otherStudentToken())).statusCode).toBe(403);
  });
});

describe("grading looks at a copy of the session", () => {
  it("probes (pings, curls, iptables listings) leave the session's state and trace as they were", async () => {
    const app = await buildTestApp();
    const student = await createToken(app, "Li Wei");
    const id = await startSession(app, student.token, "container-to-other-host");
    await playSolution(app, student.token, id, "container-to-other-host");

    const snapshot = async () => {
      const get = (url: string) => app.inject({ method: "GET", url, headers: bearer(student.token) });
      const [state, events, row] = await Promise.all([get(`/api/sessions/${id}/state`), get(`/api/sessions/${id}/events?limit=5000`), get(`/api/sessions/${id}`)]);
      const { updatedAt: _updatedAt, live: _live, ...session } = row.json<Record<string, unknown>>();
      return { state: state.json<unknown>(), events: events.json<unknown>(), session };
    };
    const before = await snapshot();

    const progress = (await app.inject({ method: "GET", url: `/api/sessions/${id}/progress`, headers: bearer(student.token) })).json<ProgressView>();
    expect(progress.score).toBe(progress.maxScore);
    const run = await app.inject({ method: "POST", url: "/api/grading/runs", headers: bearer(TEST_INSTRUCTOR_TOKEN), payload: { labId: "container-to-other-host" } });
    expect((await waitForRun(app, run.json<{ id: string }>().id)).sessions[0]?.score).toBe(progress.maxScore);

    expect(await snapshot()).toEqual(before);
  });
});
