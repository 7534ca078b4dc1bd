/**
 * GET /api/sessions/:id/progress: the session graded now, for its student
 * (or an instructor): each task passed or not with its checks' feedback, and
 * the score so far. Nothing is stored. Grading replays the session, so the
 * route is rate-limited per token.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type, type Static } from "typebox";
import type { SessionProgress } from "../../grading/grading-service.js";
import { ErrorResponse } from "../../http/error-response.js";
import { perToken } from "../../plugins/rate-limits.js";
import { TaskResult } from "../grading/schema.js";
import { SessionParams } from "./schema.js";

/** Progress requests per minute per token. */
const PROGRESS_PER_MINUTE = 60;

const Localized = Type.Object({ en: Type.String(), zh: Type.String() });

export const ProgressView = Type.Object({
  sessionId: Type.String(),
  labId: Type.String(),
  score: Type.Integer({ description: "points earned so far" }),
  maxScore: Type.Integer(),
  gradedAt: Type.String({ format: "date-time" }),
  tasks: Type.Array(Type.Object({ ...TaskResult.properties, title: Localized })),
});
export type ProgressView = Static<typeof ProgressView>;

const progressSchema = {
  tags: ["sessions", "grading"],
  summary: "The session's tasks graded now: passed or not, feedback, score so far",
  params: SessionParams,
  response: { 200: ProgressView, ...Object.fromEntries([400, 401, 403, 404, 429].map((code) => [code, ErrorResponse])) },
};

export function progressView(progress: SessionProgress): ProgressView {
  return {
    sessionId: progress.sessionId,
    labId: progress.labId,
    score: progress.grade.score,
    maxScore: progress.grade.maxScore,
    gradedAt: progress.gradedAt.toISOString(),
    tasks: progress.grade.tasks.map((task) => ({
      taskId: task.taskId,
      title: task.title,
      points: task.points,
      earned: task.earned,
      status: task.status,
      passed: task.status === "passed",
      checks: task.checks.map((check) => ({ ...check, passed: check.status === "passed" })),
    })),
  };
}

const progressRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.get("/:id/progress", { schema: progressSchema, config: { rateLimit: perToken(PROGRESS_PER_MINUTE, "minute", "progress requests") } }, async (request) => {
    await app.sessions.authorize(await app.authenticate(request), request.params.id);
    return progressView(await app.grading.progress(request.params.id));
  });
};

export default progressRoutes;
