/**
 * Keeping and clearing out sessions through the API: archiving and
 * un-archiving (instructors), the stored bytes and archive date every session
 * view shows, which sessions a student may delete (not archived, not graded),
 * and an instructor's bulk delete by last activity, which ends live engines
 * and trace streams as a single delete does.
 */
import { describe, expect, it } from "vitest";
import type { App } from "../../server/app.js";
import { CLOSE_SESSION_DELETED } from "../../server/sessions/trace-stream.js";
import { bearer, buildTestApp, createToken, runCommand, startSession, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { waitForRun } from "../helpers/grading.js";
import { queryRows } from "../helpers/raw-sql.js";
import { openTraceSocket } from "../helpers/trace-socket.js";

const instructor = bearer(TEST_INSTRUCTOR_TOKEN);
const PING = "ping -c 1 172.17.0.3";

async function setup() {
  const app = await buildTestApp();
  const li = await createToken(app, "Li Lei");
  const han = await createToken(app, "Han Meimei");
  return { app, li, han };
}

/** Sets a session's last activity: when it started and when it last ran a command (null: never). */
async function lastActive(app: App, id: string, createdAt: string, lastCommandAt: string | null = null): Promise<void> {
  await app.prisma.session.update({ where: { id }, data: { createdAt: new Date(createdAt), lastCommandAt: lastCommandAt === null ? null : new Date(lastCommandAt) } });
}

async function sessionIds(app: App): Promise<string[]> {
  return (await app.prisma.session.findMany({ select: { id: true }, orderBy: { id: "asc" } })).map((s) => s.id);
}

describe("POST and DELETE /api/sessions/:id/archive", () => {
  it("an instructor archives a session: 200 with archivedAt; archiving again keeps the first date; un-archiving clears it", async () => {
    const { app, li } = await setup();
    const id = await startSession(app, li.token);

    const archived = await app.inject({ method: "POST", url: `/api/sessions/${id}/archive`, headers: instructor });
    expect(archived.statusCode).toBe(200);
    const view = archived.json<{ id: string; archivedAt: string | null; owner: { name: string } }>();
    expect(view).toMatchObject({ id, owner: { name: "Li Lei" } });
    expect(Date.parse(view.archivedAt ?? "")).not.toBeNaN();

    const again = await app.inject({ method: "POST", url: `/api/sessions/${id}/archive`, headers: instructor });
    expect(again.json<{ archivedAt: string }>().archivedAt).toBe(view.archivedAt);
    const seen = await app.inject({ method: "GET", url: `/api/sessions/${id}`, headers: bearer(li.token) });
    expect(seen.json<{ archivedAt: string }>().archivedAt).toBe(view.archivedAt);

    const restored = await app.inject({ method: "DELETE", url: `/api/sessions/${id}/archive`, headers: instructor });
    expect(restored.statusCode).toBe(200);
    expect(restored.json<{ archivedAt: null }>().archivedAt).toBeNull();
    const twice = await app.inject({ method: "DELETE", url: `/api/sessions/${id}/archive`, headers: instructor });
    expect(twice.json<{ archivedAt: null }>().archivedAt).toBeNull();
  });

  it("an archived session answers commands with 409 SESSION_ARCHIVED and changes nothing; un-archived, it runs them again", async () => {
    const { app, li } = await setup();
    const id = await startSession(app, li.token);
    await runCommand(app, li.token, id, "node1", PING, "nginx-1");
    expect((await app.inject({ method: "POST", url: `/api/sessions/${id}/archive`, headers: instructor })).statusCode).toBe(200);
    const refused = await app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(li.token), payload: { host: "node1", command: "ip route" } });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: "SESSION_ARCHIVED" } });
    expect((await app.inject({ method: "GET", url: `/api/sessions/${id}`, headers: bearer(li.token) })).json<{ commandCount: number }>().commandCount).toBe(1);
    await app.inject({ method: "DELETE", url: `/api/sessions/${id}/archive`, headers: instructor });
    expect((await runCommand(app, li.token, id, "node1", "ip route")).index).toBe(1);
  });

  it("is for instructors: a student gets 403, even on their own session; an unknown session is 404, a malformed id 400", async () => {
    const { app, li } = await setup();
    const id = await startSession(app, li.token);
    for (const method of ["POST", "DELETE"] as const) {
      const student = await app.inject({ method, url: `/api/sessions/${id}/archive`, headers: bearer(li.token) });
      expect(student.statusCode).toBe(403);
      expect(student.json().error.code).toBe("FORBIDDEN");
      const unknown = await app.inject({ method, url: "/api/sessions/00000000-0000-4000-8000-000000000000/archive", headers: instructor });
      expect(unknown.statusCode).toBe(404);
      expect(unknown.json()).toEqual({ error: { code: "SESSION_NOT_FOUND", message: 'No session with id "00000000-0000-4000-8000-000000000000"' } });
      expect((await app.inject({ method, url: "/api/sessions/nope/archive", headers: instructor })).statusCode).toBe(400);
    }
    expect((await app.inject({ method: "GET", url: `/api/sessions/${id}`, headers: bearer(li.token) })).json().archivedAt).toBeNull();
  });
});

describe("storedBytes and archivedAt in the session view", () => {
  it("a new session stores 0 bytes; each command adds its output and events, as the list and the session both show", async () => {
    const { app, li } = await setup();
    const id = await startSession(app, li.token);
    const view = async () => (await app.inject({ method: "GET", url: `/api/sessions/${id}`, headers: bearer(li.token) })).json<{ storedBytes: number; archivedAt: string | null }>();
    expect(await view()).toMatchObject({ storedBytes: 0, archivedAt: null });

    await runCommand(app, li.token, id, "node1", PING, "nginx-1");
    const afterPing = (await view()).storedBytes;
    // Bytes as each database counts them: UTF-8 text cast to a blob on SQLite, octet_length on PostgreSQL.
    const rowBytes =
      app.database.kind === "sqlite"
        ? `length(CAST("output" AS BLOB)) + length(CAST("events" AS BLOB)) + COALESCE(length("eventsDeflated"), 0)`
        : `octet_length("output") + octet_length("events") + COALESCE(octet_length("eventsDeflated"), 0)`;
    const stored = await queryRows<{ bytes: number | string }>(app.database, `SELECT SUM(${rowBytes}) AS bytes FROM "SessionCommand" WHERE "sessionId" = $1`, [id]);
    expect(afterPing).toBe(Number(stored[0]!.bytes));
    // The events are stored deflated: the ping's trace is tens of kilobytes of JSON, a few kilobytes stored.
    expect(afterPing).toBeGreaterThan(1000);

    await runCommand(app, li.token, id, "node1", "ip neigh", "nginx-1");
    expect((await view()).storedBytes).toBeGreaterThan(afterPing);
    const listed = await app.inject({ method: "GET", url: "/api/sessions", headers: bearer(li.token) });
    expect(listed.json<{ sessions: Array<{ id: string; storedBytes: number; archivedAt: null }> }>().sessions).toEqual([
      expect.objectContaining({ id, storedBytes: (await view()).storedBytes, archivedAt: null }),
    ]);
  });
});

describe("DELETE /api/sessions/:id: what a student may delete", () => {
  it("a student deletes their own session; not an archived one (409 SESSION_ARCHIVED) until it is un-archived", async () => {
    const { app, li } = await setup();
    const plain = await startSession(app, li.token);
    expect((await app.inject({ method: "DELETE", url: `/api/sessions/${plain}`, headers: bearer(li.token) })).statusCode).toBe(204);

    const kept = await startSession(app, li.token);
    await app.inject({ method: "POST", url: `/api/sessions/${kept}/archive`, headers: instructor });
    const refused = await app.inject({ method: "DELETE", url: `/api/sessions/${kept}`, headers: bearer(li.token) });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error).toMatchObject({ code: "SESSION_ARCHIVED", message: expect.stringMatching(/^This session was archived on .*only an instructor may delete it$/) });
    expect(await sessionIds(app)).toEqual([kept]);

    await app.inject({ method: "DELETE", url: `/api/sessions/${kept}/archive`, headers: instructor });
    expect((await app.inject({ method: "DELETE", url: `/api/sessions/${kept}`, headers: bearer(li.token) })).statusCode).toBe(204);
  });

  it("a graded session stays: the student gets 409 SESSION_GRADED naming the run; an instructor deletes it (204), archived or not", async () => {
    const { app, li } = await setup();
    const graded = await startSession(app, li.token);
    const started = await app.inject({ method: "POST", url: "/api/grading/runs", headers: instructor, payload: { labId: "bridge-two-containers", sessionIds: [graded] } });
    expect(started.statusCode).toBe(202);
    const run = await waitForRun(app, started.json<{ id: string }>().id);

    const refused = await app.inject({ method: "DELETE", url: `/api/sessions/${graded}`, headers: bearer(li.token) });
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toEqual({
      error: {
        code: "SESSION_GRADED",
        message: "This session has been graded: it is kept as the record of the grade, and only an instructor may delete it",
        details: { runId: run.id },
      },
    });

    await app.inject({ method: "POST", url: `/api/sessions/${graded}/archive`, headers: instructor });
    expect((await app.inject({ method: "DELETE", url: `/api/sessions/${graded}`, headers: instructor })).statusCode).toBe(204);
    expect(await sessionIds(app)).toEqual([]);
  });

  it("another student's session is still 403, and an unknown one 404, before any of these rules", async () => {
    const { app, li, han } = await setup();
    const id = await startSession(app, li.token);
    expect((await app.inject({ method: "DELETE", url: `/api/sessions/${id}`, headers: bearer(han.token) })).json().error.code).toBe("FORBIDDEN");
    const unknown = await app.inject({ method: "DELETE", url: "/api/sessions/00000000-0000-4000-8000-000000000000", headers: bearer(li.token) });
    expect(unknown.json().error.code).toBe("SESSION_NOT_FOUND");
  });
});

describe("DELETE /api/sessions?before=", () => {
  it("deletes the sessions last active before the date (last command, else start), filtered by lab, student and archive; answers how many", async () => {
    const { app, li, han } = await setup();
    const id = async (token: string, labId: string, createdAt: string, lastCommandAt: string | null = null) => {
      const session = await startSession(app, token, labId);
      await lastActive(app, session, createdAt, lastCommandAt);
      return session;
    };
    const liOld = await id(li.token, "bridge-two-containers", "2026-09-01T00:00:00Z");
    const liUsedLately = await id(li.token, "bridge-two-containers", "2026-09-01T00:00:00Z", "2026-11-20T00:00:00Z");
    const liOtherLab = await id(li.token, "host-network", "2026-09-02T00:00:00Z", "2026-09-03T00:00:00Z");
    const hanOld = await id(han.token, "bridge-two-containers", "2026-08-01T00:00:00Z");
    const hanArchived = await id(han.token, "bridge-two-containers", "2026-08-01T00:00:00Z");
    await app.inject({ method: "POST", url: `/api/sessions/${hanArchived}/archive`, headers: instructor });
    const bulk = (query: string) => app.inject({ method: "DELETE", url: `/api/sessions?${query}`, headers: instructor });

    // Archived ones only: han's archived session.
    expect((await bulk("before=2026-10-01&archived=true")).json()).toEqual({ deleted: 1 });
    // Li's, of one lab, not archived.
    expect((await bulk(`before=2026-10-01T00:00:00Z&labId=bridge-two-containers&ownerId=${li.id}&archived=false`)).json()).toEqual({ deleted: 1 });
    expect(await sessionIds(app)).toEqual([liUsedLately, liOtherLab, hanOld].sort());
    expect(await sessionIds(app)).not.toContain(liOld);
    // Everyone's: the date alone.
    expect((await bulk("before=2026-10-01")).json()).toEqual({ deleted: 2 });
    expect(await sessionIds(app)).toEqual([liUsedLately]);
    expect((await bulk("before=2026-10-01")).json()).toEqual({ deleted: 0 });
  });

  it("ends what each session had running, as a single delete does: its engine leaves memory and its trace streams close with 4410", async () => {
    const { app, li } = await setup();
    const id = await startSession(app, li.token);
    await runCommand(app, li.token, id, "node1", PING, "nginx-1");
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    const stream = await openTraceSocket(`${address.replace("http", "ws")}/api/sessions/${id}/trace?access_token=${li.token}`);
    stream.send({ type: "subscribe" });
    await stream.until((m) => m.some((x) => x.type === "events"), "the replay");
    expect(app.sessionManager.isLive(id)).toBe(true);

    const response = await app.inject({ method: "DELETE", url: `/api/sessions?before=${new Date(Date.now() + 60_000).toISOString()}`, headers: instructor });
    expect(response.json()).toEqual({ deleted: 1 });
    expect((await stream.closed).code).toBe(CLOSE_SESSION_DELETED);
    expect(app.sessionManager.isLive(id)).toBe(false);
    expect(await app.prisma.sessionCommand.count({ where: { sessionId: id } })).toBe(0);
  });

  it("is for instructors (403 for a student) and needs a valid date (400)", async () => {
    const { app, li } = await setup();
    await startSession(app, li.token);
    const student = await app.inject({ method: "DELETE", url: "/api/sessions?before=2030-01-01", headers: bearer(li.token) });
    expect(student.statusCode).toBe(403);
    for (const query of ["", "?before=yesterday", "?before=2026-13-01", "?before=2026-10-01&archived=maybe"]) {
      const response = await app.inject({ method: "DELETE", url: `/api/sessions${query}`, headers: instructor });
      expect({ query, status: response.statusCode, code: response.json().error.code }).toEqual({ query, status: 400, code: "VALIDATION_ERROR" });
    }
    // A misspelt filter is refused rather than dropped, which would widen the delete.
    const misspelt = await app.inject({ method: "DELETE", url: "/api/sessions?before=2030-01-01&labid=host-network", headers: instructor });
    expect(misspelt.json()).toMatchObject({ error: { code: "VALIDATION_ERROR", message: 'Unknown query parameter "labid": a bulk delete takes only before, labId, ownerId, archived' } });
    expect(await sessionIds(app)).toHaveLength(1);
  });
});
