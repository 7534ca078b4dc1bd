/**
 * Grading runs, their results and students' answers in the database. The
 * client is a parameter; nothing here grades or decides: grading-runs.ts and
 * grading-service.ts do, this only reads and writes rows.
 *
 * A run keeps a copy of the tasks it graded (ids, titles, points, check
 * kinds; never the expected values), so its results and exports read the same
 * after the lab is edited or removed. Result rows do not refer to sessions:
 * they outlive sessions deleted later.
 */
import type { PrismaClient } from "../db/prisma-client.js";
import type { LocalizedText } from "../labs/lab-schema.js";
import type { CheckKind } from "../labs/task-schema.js";
import type { OutcomeStatus } from "./grade-session.js";

export const RUN_STATUSES = ["running", "done", "interrupted"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunTask {
  id: string;
  title: { en: string; zh: string };
  points: number;
  checks: CheckKind[];
}

export interface RunRow {
  id: string;
  labId: string;
  status: RunStatus;
  sessionCount: number;
  /** Sessions graded so far. */
  graded: number;
  tasks: RunTask[];
  createdBy: { id: string; name: string } | null;
  createdAt: Date;
  finishedAt: Date | null;
}

export interface GradedTarget {
  sessionId: string;
  ownerId: string;
  ownerName: string;
}

export interface ResultRow {
  taskId: string;
  checkIndex: number;
  checkKind: CheckKind;
  status: OutcomeStatus;
  passed: boolean;
  points: number;
  feedback: LocalizedText | null;
}

export interface SessionResultRow extends GradedTarget {
  score: number;
  maxScore: number;
  /** Why the session could not be graded; null when it was. */
  error: string | null;
  gradedAt: Date;
  results: ResultRow[];
}

const runSelect = {
  id: true,
  labId: true,
  status: true,
  sessionCount: true,
  tasks: true,
  createdAt: true,
  finishedAt: true,
  createdBy: { select: { id: true, name: true } },
  _count: { select: { sessions: true } },
} as const;

type SelectedRun = {
  id: string;
  labId: string;
  status: string;
  sessionCount: number;
  tasks: string;
  createdAt: Date;
  finishedAt: Date | null;
  createdBy: { id: string; name: string } | null;
  _count: { sessions: number };
};

function toRunRow(row: SelectedRun): RunRow {
  return {
    id: row.id,
    labId: row.labId,
    status: row.status as RunStatus,
    sessionCount: row.sessionCount,
    graded: row._count.sessions,
    tasks: JSON.parse(row.tasks) as RunTask[],
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    finishedAt: row.finishedAt,
  };
}

export async function insertRun(
  prisma: PrismaClient,
  input: { id: string; labId: string; createdById: string; sessionCount: number; tasks: RunTask[]; createdAt: Date },
): Promise<RunRow> {
  const row = await prisma.gradingRun.create({
    data: {
      id: input.id,
      labId: input.labId,
      createdById: input.createdById,
      status: "running",
      sessionCount: input.sessionCount,
      tasks: JSON.stringify(input.tasks),
      createdAt: input.createdAt,
    },
    select: runSelect,
  });
  return toRunRow(row);
}

export async function finishRun(prisma: PrismaClient, runId: string, status: Exclude<RunStatus, "running">, finishedAt: Date): Promise<void> {
  await prisma.gradingRun.update({ where: { id: runId }, data: { status, finishedAt }, select: { id: true } });
}

/** Runs a stopped server left "running" can never finish: call at start. */
export async function interruptUnfinishedRuns(prisma: PrismaClient, now: Date): Promise<number> {
  const { count } = await prisma.gradingRun.updateMany({ where: { status: "running" }, data: { status: "interrupted", finishedAt: now } });
  return count;
}

export async function findRun(prisma: PrismaClient, id: string): Promise<RunRow | null> {
  const row = await prisma.gradingRun.findUnique({ where: { id }, select: runSelect });
  return row === null ? null : toRunRow(row);
}

/** Newest first. */
export async function listRuns(prisma: PrismaClient, query: { labId?: string; limit: number; offset: number }): Promise<{ runs: RunRow[]; total: number }> {
  const where = query.labId === undefined ? {} : { labId: query.labId };
  const [rows, total] = await prisma.$transaction([
    prisma.gradingRun.findMany({ where, select: runSelect, orderBy: [{ createdAt: "desc" }, { id: "asc" }], take: query.limit, skip: query.offset }),
    prisma.gradingRun.count({ where }),
  ]);
  return { runs: rows.map(toRunRow), total };
}

// ── Answers ────────────────────────────────────────────────────────────────

export async function insertAnswer(prisma: PrismaClient, input: { sessionId: string; taskId: string; value: string; createdAt: Date }) {
  return prisma.answer.create({ data: input, select: { taskId: true, value: true, createdAt: true } });
}

/** The latest answer per task of a session. */
export async function latestAnswers(prisma: PrismaClient, sessionId: string): Promise<Map<string, string>> {
  const rows = await prisma.answer.findMany({ where: { sessionId }, orderBy: { id: "asc" }, select: { taskId: true, value: true } });
  return new Map(rows.map((row) => [row.taskId, row.value]));
}
