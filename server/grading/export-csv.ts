/**
 * A grading run as CSV for a gradebook: one row per session and task, the
 * columns in CSV_COLUMNS (docs/grading.md describes each). RFC 4180: comma
 * separated, CRLF line ends, fields quoted when they hold a comma, a quote or
 * a line break. A text cell that starts with = + - @ or a tab is prefixed
 * with ' so a spreadsheet shows it instead of evaluating it (names and
 * feedback are text, never formulas).
 *
 * A session that could not be graded gets one row with status "error" and the
 * reason in feedback.
 */
import type { RunView } from "./run-view.js";

export const CSV_COLUMNS = [
  "run_id",
  "lab_id",
  "session_id",
  "student_id",
  "student_name",
  "task_id",
  "task_title",
  "status",
  "points",
  "max_points",
  "checks_passed",
  "checks_total",
  "feedback",
  "session_score",
  "session_max_score",
  "graded_at",
] as const;

type Row = Record<(typeof CSV_COLUMNS)[number], string | number>;

export function runToCsv(run: RunView): string {
  const titles = new Map(run.tasks.map((task) => [task.id, task.title.en]));
  const rows: Row[] = [];
  for (const session of run.sessions) {
    const common = {
      run_id: run.id,
      lab_id: run.labId,
      session_id: session.sessionId,
      student_id: session.owner.id,
      student_name: session.owner.name,
      session_score: session.score,
      session_max_score: session.maxScore,
      graded_at: session.gradedAt,
    };
    if (session.error !== null) {
      rows.push({ ...common, task_id: "", task_title: "", status: "error", points: 0, max_points: session.maxScore, checks_passed: 0, checks_total: 0, feedback: session.error });
      continue;
    }
    for (const task of session.tasks) {
      rows.push({
        ...common,
        task_id: task.taskId,
        task_title: titles.get(task.taskId) ?? task.taskId,
        status: task.status,
        points: task.earned,
        max_points: task.points,
        checks_passed: task.checks.filter((check) => check.passed).length,
        checks_total: task.checks.length,
        // A skipped task repeats one reason on every check: say it once.
        feedback: [...new Set(task.checks.flatMap((check) => (check.feedback === null ? [] : [check.feedback.en])))].join(" | "),
      });
    }
  }
  return [CSV_COLUMNS.join(","), ...rows.map((row) => CSV_COLUMNS.map((column) => csvField(row[column])).join(","))].map((line) => `${line}\r\n`).join("");
}

export function csvField(value: string | number): string {
  if (typeof value === "number") return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
