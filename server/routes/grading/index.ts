/**
 * Grading runs, for instructors only: start one over a lab's sessions, poll
 * it, read its results as JSON or export them as CSV or JUnit XML, list past
 * runs. The grading itself is the grading service's (app.grading).
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { runToCsv } from "../../grading/export-csv.js";
import { runToJunit } from "../../grading/export-junit.js";
import { runSummaryView } from "../../grading/run-view.js";
import { HttpError } from "../../http/http-error.js";
import { perToken } from "../../plugins/rate-limits.js";
import { createRunSchema, CSV_TYPE, getRunSchema, JUNIT_TYPE, listRunsSchema } from "./schema.js";

/** Runs one instructor may start per minute: each replays every session of a lab. */
const RUNS_PER_MINUTE = 10;

const gradingRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const instructor = { access: "instructor" as const };

  app.post("/runs", { schema: createRunSchema, config: { ...instructor, rateLimit: perToken(RUNS_PER_MINUTE, "minute", "grading runs") } }, async (request, reply) => {
    const run = await app.grading.startRun(await app.authenticate(request), request.body.labId, request.body.sessionIds);
    return reply.code(202).header("location", `/api/grading/runs/${run.id}`).send(runSummaryView(run));
  });

  app.get("/runs", { schema: listRunsSchema, config: instructor }, async (request) => {
    const { runs, total } = await app.grading.listRuns(request.query);
    return { runs: runs.map(runSummaryView), total };
  });

  app.get("/runs/:id", { schema: getRunSchema, config: instructor }, async (request, reply) => {
    const view = await app.grading.runView(request.params.id);
    const { format } = request.query;
    if (format === "json") return reply.type("application/json; charset=utf-8").send(view);
    if (view.status === "running") {
      throw new HttpError(409, "GRADING_RUN_NOT_FINISHED", `The run is still grading (${view.progress.graded} of ${view.progress.total} sessions): export it once its status is no longer running`);
    }
    const name = `grading-${view.labId}-${view.id.slice(0, 8)}`;
    if (format === "csv") {
      return reply.type(CSV_TYPE).header("content-disposition", `attachment; filename="${name}.csv"`).send(runToCsv(view));
    }
    return reply.type(JUNIT_TYPE).header("content-disposition", `attachment; filename="${name}.xml"`).send(runToJunit(view));
  });
};

export default gradingRoutes;
