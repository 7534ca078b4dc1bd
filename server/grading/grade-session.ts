/**
 * Grades one session against a lab's tasks. A task passes when every one of
 * its checks passes; it is skipped (not graded, no points) while a task it
 * depends on has not passed. A passed task earns all its points, a failed or
 * skipped one none: the points are shared out among its checks only so that
 * each stored check row carries its part (the rows of a session add up to
 * its score).
 *
 * A failing check gives the feedback its lab wrote, never what it expected.
 * Nothing here writes anything; the evidence decides what "the session" is.
 */
import type { LocalizedText } from "../labs/lab-schema.js";
import type { CheckKind, GradingCheck, LabTask } from "../labs/task-schema.js";
import { evaluateCheck, selectorOf } from "./evaluate-check.js";
import type { SessionEvidence } from "./session-evidence.js";

export type OutcomeStatus = "passed" | "failed" | "skipped";

export interface CheckOutcome {
  index: number;
  kind: CheckKind;
  status: OutcomeStatus;
  /** The check's part of its task's points, earned only when the whole task passed. */
  points: number;
  /** What to tell the student: null once the check passes. */
  feedback: LocalizedText | null;
}

export interface TaskOutcome {
  taskId: string;
  title: { en: string; zh: string };
  points: number;
  earned: number;
  status: OutcomeStatus;
  checks: CheckOutcome[];
}

export interface SessionGrade {
  score: number;
  maxScore: number;
  tasks: TaskOutcome[];
}

export async function gradeSession(tasks: readonly LabTask[], evidence: SessionEvidence): Promise<SessionGrade> {
  const traceSeen = await scanTrace(tasks, evidence);
  const needsAnswers = tasks.some((task) => task.checks.some((check) => check.kind === "output-answer"));
  const answers = needsAnswers ? await evidence.answers() : new Map<string, string>();

  const outcomes: TaskOutcome[] = [];
  const byId = new Map<string, TaskOutcome>();
  for (const task of tasks) {
    const shares = splitPoints(task.points, task.checks.length);
    const blocker = (task.dependsOn ?? []).find((id) => byId.get(id)?.status !== "passed");
    let checks: CheckOutcome[];
    if (blocker !== undefined) {
      const feedback = finishFirst(byId.get(blocker)?.title ?? { en: blocker, zh: blocker });
      checks = task.checks.map((check, index) => ({ index, kind: check.kind, status: "skipped", points: 0, feedback }));
    } else {
      checks = [];
      for (const [index, check] of task.checks.entries()) {
        const finding = await evaluateCheck(check, { evidence, answer: answers.get(task.id), traceSeen: traceSeen.get(check) ?? false });
        const passed = finding !== "missing" && (finding === "found") !== isAbsent(check);
        checks.push({ index, kind: check.kind, status: passed ? "passed" : "failed", points: 0, feedback: passed ? null : check.feedback });
      }
    }
    const status = taskStatus(checks);
    if (status === "passed") checks.forEach((check, index) => (check.points = shares[index]!));
    const outcome: TaskOutcome = { taskId: task.id, title: task.title, points: task.points, earned: status === "passed" ? task.points : 0, status, checks };
    outcomes.push(outcome);
    byId.set(task.id, outcome);
  }
  return {
    score: outcomes.reduce((sum, task) => sum + task.earned, 0),
    maxScore: tasks.reduce((sum, task) => sum + task.points, 0),
    tasks: outcomes,
  };
}

/** Every trace-seen check of the lab, answered at once by the evidence (one pass over the trace). */
async function scanTrace(tasks: readonly LabTask[], evidence: SessionEvidence): Promise<Map<GradingCheck, boolean>> {
  const wanted = tasks.flatMap((task) => task.checks).filter((check): check is Extract<GradingCheck, { kind: "trace-seen" }> => check.kind === "trace-seen");
  if (wanted.length === 0) return new Map();
  const seen = await evidence.traceSeen(wanted.map(selectorOf));
  return new Map(wanted.map((check, i) => [check, seen[i] ?? false]));
}

/** A task's status from its checks': passed when all passed, skipped when they were not graded, failed otherwise. */
export function taskStatus(checks: readonly { status: OutcomeStatus }[]): OutcomeStatus {
  if (checks.length > 0 && checks.every((check) => check.status === "passed")) return "passed";
  return checks.some((check) => check.status === "skipped") ? "skipped" : "failed";
}

function isAbsent(check: GradingCheck): boolean {
  return "absent" in check && check.absent === true;
}

/** `points` shared among `count` checks as evenly as whole numbers allow, the first ones taking the remainder. */
export function splitPoints(points: number, count: number): number[] {
  const base = Math.floor(points / count);
  const remainder = points - base * count;
  return Array.from({ length: count }, (_, index) => base + (index < remainder ? 1 : 0));
}

function finishFirst(title: { en: string; zh: string }): LocalizedText {
  return { en: `Finish the task "${title.en}" first.`, zh: `请先完成任务“${title.zh}”。` };
}
