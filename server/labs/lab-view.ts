/**
 * A lab as a student may read it: everything but the answers. The reference
 * solution goes, and so do the tasks' checks, whose fields are the expected
 * values; each task says instead whether it asks a question (takesAnswer),
 * which a client needs to offer an answer box. Instructors read the lab
 * whole, as its file defines it.
 */
import { Type, type Static } from "typebox";
import { LabFile } from "./lab-schema.js";
import { GradingCheck, LabTask } from "./task-schema.js";

export const LabTaskView = Type.Object(
  {
    ...LabTask.properties,
    checks: Type.Optional(Type.Array(GradingCheck, { description: "present for instructors only" })),
    takesAnswer: Type.Optional(Type.Boolean({ description: "the task asks a question: answer it with POST /api/sessions/:id/answers (students' view)" })),
  },
  { additionalProperties: false },
);

/** The response shape of GET /api/labs/:id for both audiences. */
export const LabView = Type.Object(
  { ...LabFile.properties, tasks: Type.Optional(Type.Array(LabTaskView)) },
  { additionalProperties: false, description: "a lab; for students without its solution and checks" },
);

export type LabView = Static<typeof LabView>;

export function studentLabView(lab: LabFile): LabView {
  const { solution: _solution, tasks, ...rest } = lab;
  if (tasks === undefined) return rest;
  return {
    ...rest,
    tasks: tasks.map(({ checks, ...task }) => ({ ...task, takesAnswer: checks.some((check) => check.kind === "output-answer") })),
  };
}
