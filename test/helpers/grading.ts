/**
 * Grading through the API, as clients do it: play a lab's solution steps in a
 * session (commands and answers), and wait for a grading run to finish.
 */
import type { App } from "../../server/app.js";
import type { RunView } from "../../server/grading/run-view.js";
import { isSolutionAnswer, type SolutionStep } from "../../server/labs/task-schema.js";
import { loadLab } from "../engine/helpers/lab-engine.js";
import { bearer, runCommand, TEST_INSTRUCTOR_TOKEN } from "./build-app.js";

/** Runs the commands and posts the answers of `steps` (default: the lab's reference solution) in a session. */
export async function playSolution(app: App, token: string, sessionId: string, labId: string, steps?: readonly SolutionStep[]): Promise<void> {
  for (const step of steps ?? loadLab(labId).solution ?? []) {
    if (isSolutionAnswer(step)) {
      const response = await app.inject({ method: "POST", url: `/api/sessions/${sessionId}/answers`, headers: bearer(token), payload: { taskId: step.answer.task, value: step.answer.value } });
      if (response.statusCode !== 201) throw new Error(`answer refused: ${response.statusCode} ${response.body}`);
    } else {
      await runCommand(app, token, sessionId, step.host, step.command, step.namespace);
    }
  }
}

/** Polls a run until it is no longer running; returns its JSON results. */
export async function waitForRun(app: App, runId: string, token = TEST_INSTRUCTOR_TOKEN): Promise<RunView> {
  for (let attempt = 0; attempt < 600; attempt++) {
    const response = await app.inject({ method: "GET", url: `/api/grading/runs/${runId}`, headers: bearer(token) });
    if (response.statusCode !== 200) throw new Error(`cannot read run ${runId}: ${response.statusCode} ${response.body}`);
    const run = response.json<RunView>();
    if (run.status !== "running") return run;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`run ${runId} did not finish`);
}
