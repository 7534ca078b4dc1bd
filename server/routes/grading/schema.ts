/**
 * Request and response schemas of grading: the instructors' runs (here) and
 * the result shapes the students' progress route shares. The compile-time
 * checks at the bottom fail tsc when these drift from the views the grading
 * service builds.
 */
import { Type, type Static } from "typebox";
import type { RunSummaryView, RunView, TaskResultView } from "../../grading/run-view.js";
import { RUN_STATUSES } from "../../grading/grading-repository.js";
import { ErrorResponse } from "../../http/error-response.js";
import { LAB_ID_PATTERN } from "../../labs/lab-schema.js";
import { CHECK_KINDS } from "../../labs/task-schema.js";

const UUID = "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$";
const Timestamp = Type.String({ format: "date-time" });
const Localized = Type.Object({ en: Type.String(), zh: Type.String() });
const LabId = Type.String({ pattern: LAB_ID_PATTERN, maxLength: 64, description: "lab id, e.g. bridge-two-containers" });
const Status = Type.Union([Type.Literal("passed"), Type.Literal("failed"), Type.Literal("skipped")], {
  description: "skipped: a task it depends on has not passed, so it was not graded",
});

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ErrorResponse]));

export const CheckResult = Type.Object({
  index: Type.Integer({ description: "the check's place in its task, from 0" }),
  kind: Type.Enum(CHECK_KINDS),
  status: Status,
  passed: Type.Boolean(),
  points: Type.Integer({ description: "its share of the task's points, earned only when the whole task passed" }),
  feedback: Type.Union([Localized, Type.Null()], { description: "the lab's feedback while the check does not pass; null once it does" }),
});

export const TaskResult = Type.Object({
  taskId: Type.String(),
  points: Type.Integer({ description: "what the task is worth" }),
  earned: Type.Integer({ description: "all its points when every check passed, else 0" }),
  status: Status,
  passed: Type.Boolean(),
  checks: Type.Array(CheckResult),
});

const Person = Type.Object({ id: Type.String(), name: Type.String() });

export const RunSummary = Type.Object({
  id: Type.String(),
  labId: Type.String(),
  status: Type.Enum(RUN_STATUSES, { description: "running, done, or interrupted (the server stopped first)" }),
  createdAt: Timestamp,
  finishedAt: Type.Union([Timestamp, Type.Null()]),
  createdBy: Type.Union([Person, Type.Null()]),
  progress: Type.Object({ total: Type.Integer({ description: "sessions in the run" }), graded: Type.Integer({ description: "sessions graded so far" }) }),
  maxScore: Type.Integer(),
});

export const RunResults = Type.Object({
  ...RunSummary.properties,
  tasks: Type.Array(Type.Object({ id: Type.String(), title: Localized, points: Type.Integer() })),
  sessions: Type.Array(
    Type.Object({
      sessionId: Type.String(),
      owner: Person,
      score: Type.Integer(),
      maxScore: Type.Integer(),
      error: Type.Union([Type.String(), Type.Null()], { description: "why the session could not be graded (then it has no tasks); null when it was" }),
      gradedAt: Timestamp,
      tasks: Type.Array(TaskResult),
    }),
  ),
});

export const RunParams = Type.Object({ id: Type.String({ pattern: UUID, description: "grading run id (a UUID)" }) });

export const createRunSchema = {
  tags: ["grading"],
  summary: "Grade a lab's sessions (instructors): all of them, or those listed",
  description:
    "The run is stored and answered at once (202); its sessions are graded in the background, one after another. Poll GET /api/grading/runs/:id until status is no longer running.",
  body: Type.Object(
    {
      labId: LabId,
      sessionIds: Type.Optional(Type.Array(Type.String({ pattern: UUID }), { minItems: 1, maxItems: 1000, uniqueItems: true, description: "default: every session of the lab" })),
    },
    { additionalProperties: false },
  ),
  response: { 202: RunSummary, ...errors(400, 401, 403, 404, 429) },
};

export const CSV_TYPE = "text/csv; charset=utf-8";
export const JUNIT_TYPE = "application/xml; charset=utf-8";
const Text = { schema: { type: "string" } };

export const getRunSchema = {
  tags: ["grading"],
  summary: "A grading run's results (instructors): per session, per task, per check; or exported as CSV or JUnit XML",
  params: RunParams,
  querystring: Type.Object(
    {
      format: Type.Union([Type.Literal("json"), Type.Literal("csv"), Type.Literal("junit")], {
        default: "json",
        description: "json (default), csv (one row per session and task) or junit (a testsuite per session, a testcase per check); csv and junit once the run is done",
      }),
    },
    { additionalProperties: false },
  ),
  response: {
    200: {
      description: "the run: JSON, or its export",
      content: { "application/json": { schema: RunResults }, "text/csv": Text, "application/xml": Text },
    },
    ...errors(400, 401, 403, 404, 409),
  },
};

export const listRunsSchema = {
  tags: ["grading"],
  summary: "Grading runs, newest first (instructors)",
  querystring: Type.Object(
    {
      labId: Type.Optional(LabId),
      limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }),
      offset: Type.Integer({ minimum: 0, default: 0 }),
    },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ runs: Type.Array(RunSummary), total: Type.Integer() }), ...errors(400, 401, 403) },
};

// The schemas and the service's views must describe the same objects, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const summaryMatches: Same<Static<typeof RunSummary>, RunSummaryView> = true;
const resultsMatch: Same<Static<typeof RunResults>, RunView> = true;
const taskMatches: Same<Static<typeof TaskResult>, TaskResultView> = true;
void summaryMatches;
void resultsMatch;
void taskMatches;
