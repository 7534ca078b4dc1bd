/**
 * Grading as the API offers it:
 * - a student's progress: one session graded now, nothing stored;
 * - answers to the tasks that ask a question;
 * - grading runs: an instructor grades a lab's sessions (all, or those
 *   chosen); the run is stored at once and graded in the background, one
 *   session after another, each session's results written as it is done, so
 *   a client can poll the run for its progress. Runs go one at a time: grading
 *   replays sessions, which is CPU work the live sessions share.
 *
 * Closing stops a run between two sessions and marks it "interrupted"; at
 * start, runs an earlier process left "running" are marked the same way.
 * It knows nothing of HTTP beyond throwing HttpError.
 */
import { randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { Principal } from "../auth/principal.js";
import type { DatabaseDriver, PrismaClient } from "../db/prisma-client.js";
import { HttpError } from "../http/http-error.js";
import { findLab } from "../labs/lab-repository.js";
import type { LabFile } from "../labs/lab-schema.js";
import type { LabTask } from "../labs/task-schema.js";
import type { SessionRow } from "../sessions/session-repository.js";
import { gradeSession, type SessionGrade } from "./grade-session.js";
import {
  finishRun,
  findRun,
  insertAnswer,
  insertRun,
  interruptUnfinishedRuns,
  latestAnswers,
  listRuns,
  type GradedTarget,
  type RunRow,
  type RunTask,
} from "./grading-repository.js";
import { ReplayedEvidence, type EvidenceSources } from "./replayed-evidence.js";
import { resultRows, type ResultRows } from "./result-rows.js";
import { runView, type RunView } from "./run-view.js";

/** What grading needs of the sessions: the rows (lab, owner) and a lab's sessions. */
export interface SessionDirectory {
  get(id: string): Promise<SessionRow>;
  list(principal: Principal, filter: { labId?: string; limit: number; offset: number }): Promise<{ sessions: SessionRow[]; total: number }>;
}

export interface GradingServiceOptions {
  prisma: PrismaClient;
  /** The driver under Prisma: result rows are written and read through it (result-rows.ts). */
  database: DatabaseDriver;
  sessions: SessionDirectory;
  /** The session side of the evidence; answers are read here. */
  sources: Omit<EvidenceSources, "latestAnswers">;
  log: FastifyBaseLogger;
  /** Wall clock, ms; tests inject one. */
  now?: () => number;
}

export interface SessionProgress {
  sessionId: string;
  labId: string;
  gradedAt: Date;
  grade: SessionGrade;
}

/** Sessions listed per page when a run takes all of a lab's. */
const SESSION_PAGE = 500;
/** At most this many sessions in one run. */
export const MAX_RUN_SESSIONS = 10_000;

export class GradingService {
  private readonly prisma: PrismaClient;
  private readonly results: ResultRows;
  private readonly sources: EvidenceSources;
  private readonly now: () => number;
  private readonly log: FastifyBaseLogger;
  /** Runs wait here for the one before them. */
  private queue: Promise<void> = Promise.resolve();
  private closing = false;

  constructor(private readonly options: GradingServiceOptions) {
    this.prisma = options.prisma;
    this.results = resultRows(options.database);
    this.now = options.now ?? Date.now;
    this.log = options.log;
    this.sources = { ...options.sources, latestAnswers: (id) => latestAnswers(this.prisma, id) };
  }

  /** Marks runs a previous process left unfinished; call once at start. */
  async recover(): Promise<void> {
    const count = await interruptUnfinishedRuns(this.prisma, new Date(this.now()));
    if (count > 0) this.log.warn({ runs: count }, "grading runs left unfinished by an earlier process were marked interrupted");
  }

  /** Stops the run under way after its current session; resolves when it has stopped. */
  async close(): Promise<void> {
    this.closing = true;
    await this.queue;
  }

  // ── Students ───────────────────────────────────────────────────────────

  /** Grades one session now (the caller has authorized it); nothing is stored. */
  async progress(sessionId: string): Promise<SessionProgress> {
    const session = await this.options.sessions.get(sessionId);
    const tasks = (await this.labOf(session.labId)).tasks ?? [];
    const evidence = new ReplayedEvidence(this.sources, sessionId);
    const grade = await gradeSession(tasks, evidence).finally(() => evidence.close());
    return { sessionId, labId: session.labId, gradedAt: new Date(this.now()), grade };
  }

  /** Records an answer to a task that asks a question (the caller has authorized the session). */
  async answer(sessionId: string, taskId: string, value: string): Promise<{ taskId: string; value: string; createdAt: Date }> {
    const session = await this.options.sessions.get(sessionId);
    const lab = await this.labOf(session.labId);
    const task = lab.tasks?.find((t) => t.id === taskId);
    if (task === undefined) {
      throw new HttpError(404, "TASK_NOT_FOUND", `Lab "${lab.id}" has no task "${taskId}" (tasks: ${(lab.tasks ?? []).map((t) => t.id).join(", ") || "none"})`);
    }
    if (!task.checks.some((check) => check.kind === "output-answer")) {
      throw new HttpError(400, "TASK_TAKES_NO_ANSWER", `Task "${taskId}" asks no question: it is graded on what you do in the session`);
    }
    return insertAnswer(this.prisma, { sessionId, taskId, value: value.trim(), createdAt: new Date(this.now()) });
  }

  // ── Instructors ────────────────────────────────────────────────────────

  /** Stores a run of the lab's sessions (all, or `sessionIds`) and queues its grading; returns the run as started. */
  async startRun(principal: Principal, labId: string, sessionIds?: readonly string[]): Promise<RunRow> {
    const lab = await this.labOf(labId);
    const targets = sessionIds === undefined ? await this.sessionsOf(principal, labId) : await this.chosenSessions(labId, sessionIds);
    const tasks = lab.tasks ?? [];
    const run = await insertRun(this.prisma, {
      id: randomUUID(),
      labId,
      createdById: principal.id,
      sessionCount: targets.length,
      tasks: tasks.map((task) => ({ id: task.id, title: task.title, points: task.points, checks: task.checks.map((check) => check.kind) }) satisfies RunTask),
      createdAt: new Date(this.now()),
    });
    this.queue = this.queue.then(() => this.execute(run.id, tasks, targets));
    return run;
  }

  async run(id: string): Promise<RunRow> {
    const run = await findRun(this.prisma, id);
    if (run === null) throw new HttpError(404, "GRADING_RUN_NOT_FOUND", `No grading run with id "${id}"`);
    return run;
  }

  async runView(id: string): Promise<RunView> {
    const run = await this.run(id);
    return runView(run, await this.results.read(id));
  }

  listRuns(query: { labId?: string; limit: number; offset: number }) {
    return listRuns(this.prisma, query);
  }

  // ── Internals ──────────────────────────────────────────────────────────

  private async execute(runId: string, tasks: readonly LabTask[], targets: readonly GradedTarget[]): Promise<void> {
    const maxScore = tasks.reduce((sum, task) => sum + task.points, 0);
    const started = performance.now();
    try {
      for (const target of targets) {
        if (this.closing) {
          await finishRun(this.prisma, runId, "interrupted", new Date(this.now()));
          this.log.warn({ runId }, "grading run interrupted by shutdown");
          return;
        }
        // Let requests in between sessions: a run must not starve the live sessions.
        await new Promise((resolve) => setImmediate(resolve));
        let outcome: { grade: SessionGrade } | { error: string; maxScore: number };
        try {
          const evidence = new ReplayedEvidence(this.sources, target.sessionId);
          outcome = { grade: await gradeSession(tasks, evidence).finally(() => evidence.close()) };
        } catch (err) {
          this.log.error({ err, runId, sessionId: target.sessionId }, "a session could not be graded");
          outcome = { error: gradingError(err), maxScore };
        }
        await this.results.insert(runId, target, outcome, new Date(this.now()));
      }
      await finishRun(this.prisma, runId, "done", new Date(this.now()));
      this.log.info({ runId, sessions: targets.length, ms: Math.round(performance.now() - started) }, "grading run done");
    } catch (err) {
      // The database failed under the run: it cannot go on, and must not stay "running".
      this.log.error({ err, runId }, "grading run failed");
      await finishRun(this.prisma, runId, "interrupted", new Date(this.now())).catch(() => undefined);
    }
  }

  private async labOf(labId: string): Promise<LabFile> {
    const lab = await findLab(this.prisma, labId);
    if (lab === null) throw new HttpError(404, "LAB_NOT_FOUND", `No lab with id "${labId}"`);
    return lab;
  }

  private async sessionsOf(principal: Principal, labId: string): Promise<GradedTarget[]> {
    const targets: GradedTarget[] = [];
    for (let offset = 0; ; offset += SESSION_PAGE) {
      const { sessions, total } = await this.options.sessions.list(principal, { labId, limit: SESSION_PAGE, offset });
      targets.push(...sessions.map(target));
      if (sessions.length < SESSION_PAGE || targets.length >= total) break;
      if (targets.length >= MAX_RUN_SESSIONS) {
        throw new HttpError(400, "TOO_MANY_SESSIONS", `Lab "${labId}" has more than ${MAX_RUN_SESSIONS} sessions: grade them in parts with sessionIds`);
      }
    }
    // Oldest first, so a run reads in the order students started.
    return targets.reverse();
  }

  private async chosenSessions(labId: string, sessionIds: readonly string[]): Promise<GradedTarget[]> {
    const targets: GradedTarget[] = [];
    for (const id of new Set(sessionIds)) {
      const session = await this.options.sessions.get(id);
      if (session.labId !== labId) throw new HttpError(400, "SESSION_NOT_IN_LAB", `Session "${id}" is a session of lab "${session.labId}", not of "${labId}"`);
      targets.push(target(session));
    }
    return targets;
  }
}

function target(session: SessionRow): GradedTarget {
  return { sessionId: session.id, ownerId: session.ownerId, ownerName: session.ownerName };
}

/** What the results say about a session that could not be graded: the reason, without internals. */
function gradingError(err: unknown): string {
  if (err instanceof HttpError) return err.message;
  if (err instanceof Error && err.name === "SessionNotReplayable") return err.message;
  return "the session could not be graded (see the server log)";
}
