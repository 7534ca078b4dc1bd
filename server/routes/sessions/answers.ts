/**
 * POST /api/sessions/:id/answers: a student's answer to a task that asks a
 * question (an output-answer check), for their own session. Every answer is
 * kept; grading reads the latest per task. The answer is not judged here:
 * GET /api/sessions/:id/progress says whether it passes. Rate-limited per
 * token, so answers cannot be guessed by the thousand.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";
import { perToken } from "../../plugins/rate-limits.js";
import { TASK_ID_PATTERN } from "../../labs/task-schema.js";
import { SessionParams } from "./schema.js";

/** Answers per minute per token. */
const ANSWERS_PER_MINUTE = 30;
export const MAX_ANSWER_LENGTH = 500;

const answerSchema = {
  tags: ["sessions", "grading"],
  summary: "Answer a task's question; the latest answer per task counts",
  params: SessionParams,
  body: Type.Object(
    {
      taskId: Type.String({ pattern: TASK_ID_PATTERN, maxLength: 64, description: "a task of the session's lab that takes an answer" }),
      value: Type.String({ minLength: 1, maxLength: MAX_ANSWER_LENGTH, pattern: "\\S", description: "the answer; compared trimmed and ignoring case" }),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object({ taskId: Type.String(), value: Type.String({ description: "as stored: trimmed" }), createdAt: Type.String({ format: "date-time" }) }),
    ...Object.fromEntries([400, 401, 403, 404, 429].map((code) => [code, ErrorResponse])),
  },
};

const answerRoutes: FastifyPluginAsyncTypebox = async (app) => {
  app.post("/:id/answers", { schema: answerSchema, config: { rateLimit: perToken(ANSWERS_PER_MINUTE, "minute", "answers") } }, async (request, reply) => {
    await app.sessions.authorize(await app.authenticate(request), request.params.id);
    const answer = await app.grading.answer(request.params.id, request.body.taskId, request.body.value);
    return reply.code(201).send({ taskId: answer.taskId, value: answer.value, createdAt: answer.createdAt.toISOString() });
  });
};

export default answerRoutes;
