/**
 * A grading run's result rows, written and read through the database driver
 * instead of Prisma (the reason log-reads.ts gives: Prisma 6 compiles each
 * query in WebAssembly on the thread that answers requests, and converts
 * every row it reads). A run over a class writes one session's rows after the
 * other, and an instructor's page or script polls the run, reading every row
 * so far, once a second: under the load test these were most of that thread's
 * work at the moment `/health` waited longest.
 *
 * Rows are written as Prisma writes them (DateTime as ISO 8601 text with
 * +00:00 and booleans as 0/1 on SQLite; UTC timestamps and booleans on
 * PostgreSQL), so Prisma reads them back like its own; the test holds both
 * ways to Prisma's, on both databases.
 */
import type { DatabaseDriver } from "../db/prisma-client.js";
import type { CheckKind } from "../labs/task-schema.js";
import { prismaDateTime } from "../sessions/command-writer.js";
import type { OutcomeStatus, SessionGrade } from "./grade-session.js";
import type { GradedTarget, ResultRow, SessionResultRow } from "./grading-repository.js";
import { outsidePrismaTransaction, sqlitePlaceholders } from "../db/sqlite-statements.js";

export type SessionOutcome = { grade: SessionGrade } | { error: string; maxScore: number };

export interface ResultRows {
  /** One session's grade (or why it has none) and its check rows, in one transaction. */
  insert(runId: string, target: GradedTarget, outcome: SessionOutcome, gradedAt: Date): Promise<void>;
  /** Every graded session of a run with its check rows, in the order they were graded. */
  read(runId: string): Promise<SessionResultRow[]>;
}

const SESSION_COLUMNS = ["runId", "sessionId", "ownerId", "ownerName", "score", "maxScore", "error", "gradedAt"];
const RESULT_COLUMNS = ["runId", "sessionId", "taskId", "checkIndex", "checkKind", "status", "passed", "points", "feedbackEn", "feedbackZh", "gradedAt"];
/** PostgreSQL takes at most 65,535 parameters in one statement. */
const MAX_POSTGRESQL_RESULTS = Math.floor(65_535 / RESULT_COLUMNS.length);

const list = (columns: string[]) => columns.map((c) => `"${c}"`).join(", ");
const placeholders = (count: number, first = 0) => `(${Array.from({ length: count }, (_, i) => `$${first + i + 1}`).join(", ")})`;
const INSERT_SESSION_SQL = `INSERT INTO "GradingSession" (${list(SESSION_COLUMNS)}) VALUES ${placeholders(SESSION_COLUMNS.length)}`;
const insertResultsSql = (rows: number) =>
  `INSERT INTO "GradingResult" (${list(RESULT_COLUMNS)}) VALUES ${Array.from({ length: rows }, (_, r) => placeholders(RESULT_COLUMNS.length, r * RESULT_COLUMNS.length)).join(", ")}`;
const SESSIONS_SQL = (gradedAt: string) =>
  `SELECT "sessionId", "ownerId", "ownerName", "score", "maxScore", "error", ${gradedAt} AS "gradedAt" FROM "GradingSession" WHERE "runId" = $1 ORDER BY "gradedAt"`;
const RESULTS_SQL = `SELECT "sessionId", "taskId", "checkIndex", "checkKind", "status", "passed", "points", "feedbackEn", "feedbackZh" FROM "GradingResult" WHERE "runId" = $1 ORDER BY "id"`;

/** The session row's and the check rows' values, in the columns' order; `time` and `bool` as the driver takes them. */
function rowValues(runId: string, target: GradedTarget, outcome: SessionOutcome, time: unknown, bool: (b: boolean) => unknown) {
  const grade = "grade" in outcome ? outcome.grade : null;
  const session = [
    runId,
    target.sessionId,
    target.ownerId,
    target.ownerName,
    grade?.score ?? 0,
    grade?.maxScore ?? ("maxScore" in outcome ? outcome.maxScore : 0),
    "error" in outcome ? outcome.error : null,
    time,
  ];
  const results =
    grade?.tasks.flatMap((task) =>
      task.checks.map((check) => [
        runId,
        target.sessionId,
        task.taskId,
        check.index,
        check.kind,
        check.status,
        bool(check.status === "passed"),
        check.points,
        check.feedback?.en ?? null,
        check.feedback?.zh ?? null,
        time,
      ]),
    ) ?? [];
  return { session, results };
}

interface RawSession {
  sessionId: string;
  ownerId: string;
  ownerName: string;
  score: number;
  maxScore: number;
  error: string | null;
  gradedAt: string | number;
}

interface RawResult {
  sessionId: string;
  taskId: string;
  checkIndex: number;
  checkKind: string;
  status: string;
  passed: boolean | number;
  points: number;
  feedbackEn: string | null;
  feedbackZh: string | null;
}

function grouped(sessions: readonly RawSession[], results: readonly RawResult[]): SessionResultRow[] {
  const bySession = new Map<string, ResultRow[]>();
  for (const row of results) {
    let rows = bySession.get(row.sessionId);
    if (rows === undefined) bySession.set(row.sessionId, (rows = []));
    rows.push({
      taskId: row.taskId,
      checkIndex: row.checkIndex,
      checkKind: row.checkKind as CheckKind,
      status: row.status as OutcomeStatus,
      passed: row.passed === true || row.passed === 1,
      points: row.points,
      feedback: row.feedbackEn === null || row.feedbackZh === null ? null : { en: row.feedbackEn, zh: row.feedbackZh },
    });
  }
  return sessions.map((s) => ({
    sessionId: s.sessionId,
    ownerId: s.ownerId,
    ownerName: s.ownerName,
    score: s.score,
    maxScore: s.maxScore,
    error: s.error,
    // SQLite: the ISO text Prisma writes; PostgreSQL: epoch ms.
    gradedAt: new Date(typeof s.gradedAt === "string" && !/^[0-9.]+$/.test(s.gradedAt) ? s.gradedAt : Number(s.gradedAt)),
    results: bySession.get(s.sessionId) ?? [],
  }));
}

export function resultRows(driver: DatabaseDriver): ResultRows {
  switch (driver.kind) {
    case "sqlite": {
      const connection = driver.connection;
      const insertSession = connection.prepare(sqlitePlaceholders(INSERT_SESSION_SQL));
      const insertResult = connection.prepare(sqlitePlaceholders(insertResultsSql(1)));
      const sessions = connection.prepare<[string], RawSession>(sqlitePlaceholders(SESSIONS_SQL(`"gradedAt"`)));
      const results = connection.prepare<[string], RawResult>(sqlitePlaceholders(RESULTS_SQL));
      // Prisma's connection reads integers as BigInt; these fit a number.
      for (const statement of [sessions, results]) statement.safeIntegers(false);
      const write = connection.transaction((session: unknown[], rows: unknown[][]) => {
        insertSession.run(...session);
        for (const row of rows) insertResult.run(...row);
      });
      return {
        insert: async (runId, target, outcome, gradedAt) => {
          await outsidePrismaTransaction(connection);
          const { session, results: rows } = rowValues(runId, target, outcome, prismaDateTime(gradedAt), (b) => (b ? 1 : 0));
          write(session, rows);
        },
        read: async (runId) => grouped(sessions.all(runId), results.all(runId)),
      };
    }
    case "postgresql": {
      const pool = driver.pool;
      return {
        insert: async (runId, target, outcome, gradedAt) => {
          const { session, results: rows } = rowValues(runId, target, outcome, gradedAt.toISOString(), (b) => b);
          const client = await pool.connect();
          try {
            await client.query("BEGIN");
            await client.query(INSERT_SESSION_SQL, session);
            for (let i = 0; i < rows.length; i += MAX_POSTGRESQL_RESULTS) {
              const part = rows.slice(i, i + MAX_POSTGRESQL_RESULTS);
              await client.query(insertResultsSql(part.length), part.flat());
            }
            await client.query("COMMIT");
          } catch (err) {
            await client.query("ROLLBACK").catch(() => {});
            throw err;
          } finally {
            client.release();
          }
        },
        read: async (runId) => {
          // The sessions first: each one listed was committed with all its rows, which the second
          // read then finds; rows of a session committed in between are left out with it.
          // timestamp(3) has no zone: read as epoch ms, the driver would take it for local time.
          const sessions = await pool.query<RawSession>(SESSIONS_SQL(`(EXTRACT(EPOCH FROM "gradedAt") * 1000)::float8`), [runId]);
          const results = await pool.query<RawResult>(RESULTS_SQL, [runId]);
          return grouped(sessions.rows, results.rows);
        },
      };
    }
    default:
      return driver satisfies never;
  }
}
