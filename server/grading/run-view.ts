/**
 * A grading run as the API shows it, and as the CSV and JUnit exports read
 * it: per session, per task, per check. Plain data, built from the stored
 * rows; the tasks come from the copy the run kept, so a run reads the same
 * after its lab changes.
 */
import type { LocalizedText } from "../labs/lab-schema.js";
import type { CheckKind } from "../labs/task-schema.js";
import { taskStatus, type OutcomeStatus } from "./grade-session.js";
import type { ResultRow, RunRow, RunStatus, SessionResultRow } from "./grading-repository.js";

export interface CheckView {
  index: number;
  kind: CheckKind;
  status: OutcomeStatus;
  passed: boolean;
  points: number;
  feedback: LocalizedText | null;
}

export interface TaskResultView {
  taskId: string;
  points: number;
  earned: number;
  status: OutcomeStatus;
  passed: boolean;
  checks: CheckView[];
}

export interface SessionResultView {
  sessionId: string;
  owner: { id: string; name: string };
  score: number;
  maxScore: number;
  error: string | null;
  gradedAt: string;
  tasks: TaskResultView[];
}

export interface RunSummaryView {
  id: string;
  labId: string;
  status: RunStatus;
  createdAt: string;
  finishedAt: string | null;
  createdBy: { id: string; name: string } | null;
  progress: { total: number; graded: number };
  maxScore: number;
}

export interface RunView extends RunSummaryView {
  tasks: { id: string; title: { en: string; zh: string }; points: number }[];
  sessions: SessionResultView[];
}

export function runSummaryView(run: RunRow): RunSummaryView {
  return {
    id: run.id,
    labId: run.labId,
    status: run.status,
    createdAt: run.createdAt.toISOString(),
    finishedAt: run.finishedAt?.toISOString() ?? null,
    createdBy: run.createdBy,
    progress: { total: run.sessionCount, graded: run.graded },
    maxScore: run.tasks.reduce((sum, task) => sum + task.points, 0),
  };
}

export function runView(run: RunRow, sessions: readonly SessionResultRow[]): RunView {
  return {
    ...runSummaryView(run),
    tasks: run.tasks.map(({ id, title, points }) => ({ id, title, points })),
    sessions: sessions.map((session) => ({
      sessionId: session.sessionId,
      owner: { id: session.ownerId, name: session.ownerName },
      score: session.score,
      maxScore: session.maxScore,
      error: session.error,
      gradedAt: session.gradedAt.toISOString(),
      // A session that could not be graded has no rows: its tasks are left out rather than shown as failed.
      tasks: session.error !== null ? [] : run.tasks.map((task) => taskView(task.id, task.points, session.results.filter((row) => row.taskId === task.id))),
    })),
  };
}

function taskView(taskId: string, points: number, rows: readonly ResultRow[]): TaskResultView {
  const checks = rows.map((row) => ({ index: row.checkIndex, kind: row.checkKind, status: row.status, passed: row.passed, points: row.points, feedback: row.feedback }));
  const status = taskStatus(checks);
  return { taskId, points, earned: checks.reduce((sum, check) => sum + check.points, 0), status, passed: status === "passed", checks };
}
