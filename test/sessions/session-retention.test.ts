/**
 * The retention sweep (CNLAB_RETENTION_DAYS): which sessions it deletes and
 * which it keeps, that it deletes through the session manager, that it runs
 * once when the app is ready and not at all with a retention of 0, and that
 * it stops when the app closes. Ages are set in the database directly; the
 * grading runs that keep sessions are rows as a finished run leaves them.
 */
import { describe, expect, it } from "vitest";
import type { App } from "../../server/app.js";
import { DAY_MS } from "../../server/sessions/session-retention.js";
import { bearer, buildTestApp, createToken, runCommand, startSession, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { freshDatabase } from "../helpers/test-database.js";

const NOW = Date.parse("2026-12-04T12:00:00Z");
const daysAgo = (days: number) => new Date(NOW - days * DAY_MS);

/** Sets when a session started and when it last ran a command (null: never). */
async function age(app: App, id: string, createdDaysAgo: number, lastCommandDaysAgo: number | null = null): Promise<void> {
  await app.prisma.session.update({
    where: { id },
    data: { createdAt: daysAgo(createdDaysAgo), lastCommandAt: lastCommandDaysAgo === null ? null : daysAgo(lastCommandDaysAgo) },
  });
}

/** A grading run of `labId` that graded `sessionIds` `daysAgo` days ago, as a finished run leaves its rows. */
async function gradedRun(app: App, labId: string, sessionIds: string[], gradedDaysAgo: number, status = "done"): Promise<void> {
  const runId = `run-${Math.random().toString(36).slice(2)}`;
  await app.prisma.gradingRun.create({ data: { id: runId, labId, status, sessionCount: sessionIds.length, tasks: "[]", createdAt: daysAgo(gradedDaysAgo) } });
  for (const sessionId of sessionIds) {
    await app.prisma.gradingSession.create({
      data: { runId, sessionId, ownerId: "x", ownerName: "x", score: 0, maxScore: 0, gradedAt: daysAgo(gradedDaysAgo) },
    });
  }
}

/** The app with its start-up sweep over, so the sweeps a test asks for are its own. */
async function appWithRetention(retentionDays: number): Promise<App> {
  const app = await buildTestApp({ retentionDays, now: () => NOW });
  await app.ready();
  await app.retention.sweep();
  return app;
}

async function remaining(app: App): Promise<string[]> {
  return (await app.prisma.session.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((s) => s.id);
}

describe("the retention sweep", () => {
  it("with 30 days: deletes sessions last active over 30 days ago, by last command else start; keeps the rest and those graded in the last 30 days", async () => {
    const app = await appWithRetention(30);
    const li = await createToken(app, "Li Lei");
    const [fresh, idle, revived, neverUsed, gradedLately, gradedLongAgo] = await Promise.all(Array.from({ length: 6 }, () => startSession(app, li.token)));
    await age(app, fresh!, 40, 2); // started long ago, used two days ago
    await age(app, idle!, 90, 45);
    await age(app, revived!, 10);
    await age(app, neverUsed!, 31);
    await age(app, gradedLately!, 100, 60);
    await age(app, gradedLongAgo!, 100, 60);
    await gradedRun(app, "bridge-two-containers", [gradedLately!], 29);
    await gradedRun(app, "bridge-two-containers", [gradedLongAgo!], 31);

    expect(await app.retention.sweep()).toBe(3);
    expect(await remaining(app)).toEqual([fresh!, revived!, gradedLately!].sort());
    // Once graded 29 days ago, it goes when that grading is over 30 days old.
    expect(await app.retention.sweep()).toBe(0);
  });

  it("spares the sessions of a lab a grading run is grading now (its rows come as it goes), and takes them once it is done", async () => {
    const app = await appWithRetention(7);
    const li = await createToken(app, "Li Lei");
    const bridge = await startSession(app, li.token, "bridge-two-containers");
    const hostNet = await startSession(app, li.token, "host-network");
    await age(app, bridge, 20);
    await age(app, hostNet, 20);
    await app.prisma.gradingRun.create({ data: { id: "running", labId: "bridge-two-containers", status: "running", sessionCount: 1, tasks: "[]", createdAt: new Date(NOW) } });

    expect(await app.retention.sweep()).toBe(1);
    expect(await remaining(app)).toEqual([bridge]);
    await app.prisma.gradingRun.update({ where: { id: "running" }, data: { status: "done" } });
    expect(await app.retention.sweep()).toBe(1);
    expect(await remaining(app)).toEqual([]);
  });

  it("deletes through the session manager: the engine in memory is dropped and the log goes with the session", async () => {
    const app = await appWithRetention(1);
    const li = await createToken(app, "Li Lei");
    const id = await startSession(app, li.token);
    await runCommand(app, li.token, id, "node1", "ping -c 1 172.17.0.3", "nginx-1");
    await age(app, id, 3, 2);
    expect(app.sessionManager.isLive(id)).toBe(true);

    expect(await app.retention.sweep()).toBe(1);
    expect(app.sessionManager.isLive(id)).toBe(false);
    expect(await app.prisma.sessionCommand.count({ where: { sessionId: id } })).toBe(0);
    const gone = await app.inject({ method: "GET", url: `/api/sessions/${id}`, headers: bearer(li.token) });
    expect(gone.json()).toMatchObject({ error: { code: "SESSION_NOT_FOUND" } });
  });

  it("does not exempt archived sessions: archiving keeps a session read-only, not forever", async () => {
    const app = await appWithRetention(30);
    const li = await createToken(app, "Li Lei");
    const id = await startSession(app, li.token);
    await app.inject({ method: "POST", url: `/api/sessions/${id}/archive`, headers: bearer(TEST_INSTRUCTOR_TOKEN) });
    await age(app, id, 60);
    expect(await app.retention.sweep()).toBe(1);
  });

  it("runs once when the app is ready, on a database that already holds old sessions", async () => {
    const { url: databaseUrl } = await freshDatabase();
    const before = await buildTestApp({ databaseUrl, now: () => NOW });
    const li = await createToken(before, "Li Lei");
    const old = await startSession(before, li.token);
    const recent = await startSession(before, li.token);
    await age(before, old, 400);
    await age(before, recent, 1);
    await before.close();

    const app = await buildTestApp({ databaseUrl, retentionDays: 365, now: () => NOW });
    await app.ready();
    const deadline = Date.now() + 10_000;
    while ((await remaining(app)).length > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await remaining(app)).toEqual([recent]);
  });

  it("keeps everything with a retention of 0 (the default): no sweep at start, and sweep() deletes nothing", async () => {
    const app = await buildTestApp({ now: () => NOW });
    const li = await createToken(app, "Li Lei");
    const id = await startSession(app, li.token);
    await age(app, id, 3650);
    expect(app.retention.retentionDays).toBe(0);
    expect(await app.retention.sweep()).toBe(0);
    expect(await remaining(app)).toEqual([id]);
  });

  it("stops with the app: a sweep asked for after close deletes nothing", async () => {
    const app = await appWithRetention(1);
    const li = await createToken(app, "Li Lei");
    const id = await startSession(app, li.token);
    await age(app, id, 10);
    const retention = app.retention;
    await app.close();
    expect(await retention.sweep()).toBe(0);
  });
});
