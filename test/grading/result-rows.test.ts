/**
 * A grading run's result rows go through the database driver
 * (grading/result-rows.ts), not Prisma: Prisma must read what they write as
 * its own, and they must read what Prisma wrote, on SQLite and on PostgreSQL
 * (npm run test:pg).
 */
import { describe, expect, it } from "vitest";
import type { SessionGrade } from "../../server/grading/grade-session.js";
import { insertRun } from "../../server/grading/grading-repository.js";
import { resultRows } from "../../server/grading/result-rows.js";
import { buildTestApp, createToken } from "../helpers/build-app.js";

const grade: SessionGrade = {
  score: 3,
  maxScore: 5,
  tasks: [
    {
      taskId: "ping",
      title: { en: "Ping", zh: "ping" },
      points: 3,
      earned: 3,
      status: "passed",
      checks: [
        { index: 0, kind: "reachable", status: "passed", points: 2, feedback: null },
        { index: 1, kind: "trace-seen", status: "passed", points: 1, feedback: null },
      ],
    },
    {
      taskId: "route",
      title: { en: "Route", zh: "路由" },
      points: 2,
      earned: 0,
      status: "failed",
      checks: [{ index: 0, kind: "route", status: "failed", points: 0, feedback: { en: "no route \"yet\"", zh: "还没有路由" } }],
    },
  ],
};

describe("grading result rows through the driver", () => {
  it("write rows Prisma reads as its own, and read them (and Prisma's) as Prisma does, in grading order", async () => {
    const app = await buildTestApp();
    const teacher = await createToken(app, "Teacher", "instructor");
    const run = await insertRun(app.prisma, { id: "run-1", labId: "bridge-two-containers", createdById: teacher.id, sessionCount: 3, tasks: [], createdAt: new Date(Date.UTC(2026, 11, 5)) });
    const rows = resultRows(app.database);
    const first = new Date(Date.UTC(2026, 11, 5, 5, 0, 1, 234));
    const second = new Date(Date.UTC(2026, 11, 5, 5, 0, 2, 345));
    await rows.insert(run.id, { sessionId: "s-1", ownerId: "o-1", ownerName: "Li Wei" }, { grade }, first);
    await rows.insert(run.id, { sessionId: "s-2", ownerId: "o-2", ownerName: "Ana" }, { error: "the session's network cannot be rebuilt", maxScore: 5 }, second);
    // A session Prisma writes itself, graded last.
    const third = new Date(Date.UTC(2026, 11, 5, 5, 0, 3, 456));
    await app.prisma.$transaction([
      app.prisma.gradingSession.create({ data: { runId: run.id, sessionId: "s-3", ownerId: "o-3", ownerName: "Sam", score: 5, maxScore: 5, error: null, gradedAt: third } }),
      app.prisma.gradingResult.createMany({
        data: [{ runId: run.id, sessionId: "s-3", taskId: "ping", checkIndex: 0, checkKind: "reachable", status: "passed", passed: true, points: 5, feedbackEn: null, feedbackZh: null, gradedAt: third }],
      }),
    ]);

    const read = await rows.read(run.id);
    expect(read.map((s) => [s.sessionId, s.score, s.maxScore, s.error, s.gradedAt.getTime()])).toEqual([
      ["s-1", 3, 5, null, first.getTime()],
      ["s-2", 0, 5, "the session's network cannot be rebuilt", second.getTime()],
      ["s-3", 5, 5, null, third.getTime()],
    ]);
    expect(read[0]!.results).toEqual([
      { taskId: "ping", checkIndex: 0, checkKind: "reachable", status: "passed", passed: true, points: 2, feedback: null },
      { taskId: "ping", checkIndex: 1, checkKind: "trace-seen", status: "passed", passed: true, points: 1, feedback: null },
      { taskId: "route", checkIndex: 0, checkKind: "route", status: "failed", passed: false, points: 0, feedback: { en: "no route \"yet\"", zh: "还没有路由" } },
    ]);
    expect(read[1]!.results).toEqual([]);
    expect(read[2]!.results).toEqual([{ taskId: "ping", checkIndex: 0, checkKind: "reachable", status: "passed", passed: true, points: 5, feedback: null }]);

    // What Prisma reads of the rows the driver wrote.
    const sessions = await app.prisma.gradingSession.findMany({ where: { runId: run.id }, orderBy: { gradedAt: "asc" } });
    expect(sessions.map((s) => ({ sessionId: s.sessionId, ownerName: s.ownerName, gradedAt: s.gradedAt }))).toEqual(read.map((s) => ({ sessionId: s.sessionId, ownerName: s.ownerName, gradedAt: s.gradedAt })));
    const results = await app.prisma.gradingResult.findMany({ where: { runId: run.id, sessionId: "s-1" }, orderBy: { id: "asc" } });
    expect(results.map((r) => ({ passed: r.passed, gradedAt: r.gradedAt, feedbackZh: r.feedbackZh }))).toEqual([
      { passed: true, gradedAt: first, feedbackZh: null },
      { passed: true, gradedAt: first, feedbackZh: null },
      { passed: false, gradedAt: first, feedbackZh: "还没有路由" },
    ]);

    // A session graded twice in one run is refused, and nothing of the second try is kept.
    await expect(rows.insert(run.id, { sessionId: "s-1", ownerId: "o-1", ownerName: "Li Wei" }, { grade }, second)).rejects.toThrow();
    expect(await app.prisma.gradingResult.count({ where: { runId: run.id, sessionId: "s-1" } })).toBe(3);
    await app.close();
  });
});
