/**
 * The lab-file format, version 1, as a TypeBox schema: what a file under labs/
 * must look like before the loader accepts it. docs/lab-format.md explains each
 * field for authors; this file is the rule the loader enforces.
 *
 * The topology part is the engine's own schema (TopologySpec), embedded as is,
 * so a lab that loads is a lab the engine can build. The graded part (tasks,
 * checks, the reference solution) is task-schema.ts. Checks that a schema
 * cannot express (references between fields) live in check-lab.ts.
 */
import { Type, type Static } from "typebox";
import { TopologySpec, TRACE_EVENT_KINDS } from "../engine/index.js";
import { LabSolution, LabTask } from "./task-schema.js";

export const LAB_FORMAT_VERSION = 1;

/** Lab ids double as file names and URL segments. */
export const LAB_ID_PATTERN = "^[a-z0-9]+(-[a-z0-9]+)*$";

export const DIFFICULTIES = ["beginner", "intermediate", "advanced"] as const;
export type Difficulty = (typeof DIFFICULTIES)[number];

const Text = Type.String({ minLength: 1, maxLength: 20_000 });

/** Every text a student reads exists in both languages; neither is a fallback for the other. */
export const LocalizedText = Type.Object(
  { en: Text, zh: Text },
  { additionalProperties: false, description: "a text for students in English and Chinese" },
);
const LocalizedTitle = Type.Object(
  { en: Type.String({ minLength: 1, maxLength: 120 }), zh: Type.String({ minLength: 1, maxLength: 120 }) },
  { additionalProperties: false },
);

const Name = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$" });

export const ExpectedEvent = Type.Object(
  {
    kind: Type.Enum(TRACE_EVENT_KINDS, { description: "a trace-event kind (docs/trace-events.md)" }),
    host: Type.Optional(Name),
    namespace: Type.Optional(Name),
    device: Type.Optional(Type.String({ pattern: "^[A-Za-z0-9_.@:-]{1,15}$" })),
  },
  { additionalProperties: false },
);

export const StepExpectation = Type.Object(
  {
    exitCode: Type.Optional(Type.Integer({ minimum: 0, maximum: 255 })),
    /** Substrings the command's output must contain, matched as written (case-sensitive). */
    output: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { maxItems: 32 })),
    /** An ordered subsequence of the trace the command must produce. */
    events: Type.Optional(Type.Array(ExpectedEvent, { maxItems: 64 })),
  },
  { additionalProperties: false },
);

export const WalkthroughStep = Type.Object(
  {
    host: Name,
    /** Where the command runs: "root" (the default) or a namespace or container of that host. */
    namespace: Type.Optional(Name),
    command: Type.String({ minLength: 1, maxLength: 500 }),
    explain: LocalizedText,
    expect: Type.Optional(StepExpectation),
  },
  { additionalProperties: false },
);

export const LabTexts = Type.Object(
  {
    /** What the student will see and do, read before the first command. */
    intro: LocalizedText,
    /** The idea behind the lab, for those who want it. */
    background: Type.Optional(LocalizedText),
    /** What to take away, shown after the walkthrough. */
    conclusion: Type.Optional(LocalizedText),
  },
  { additionalProperties: false },
);

export const LabFile = Type.Object(
  {
    version: Type.Literal(LAB_FORMAT_VERSION),
    id: Type.String({ pattern: LAB_ID_PATTERN, maxLength: 64 }),
    title: LocalizedTitle,
    summary: Type.Object(
      { en: Type.String({ minLength: 1, maxLength: 500 }), zh: Type.String({ minLength: 1, maxLength: 500 }) },
      { additionalProperties: false },
    ),
    difficulty: Type.Enum(DIFFICULTIES),
    tags: Type.Array(Type.String({ pattern: "^[a-z0-9]+(-[a-z0-9]+)*$" }), { maxItems: 16, uniqueItems: true }),
    /** Where in the source chapter the lab comes from, e.g. "32.01"; quote it in YAML. */
    chapter: Type.Optional(Type.String({ pattern: "^[0-9]+(\\.[0-9]+)*$" })),
    texts: LabTexts,
    topology: TopologySpec,
    walkthrough: Type.Array(WalkthroughStep, { minItems: 1, maxItems: 100 }),
    /** Graded tasks (task-schema.ts, docs/grading.md). Optional in the format; every shipped lab has them. */
    tasks: Type.Optional(Type.Array(LabTask, { maxItems: 50 })),
    /** The reference solution: commands and answers that earn every task's points. */
    solution: Type.Optional(LabSolution),
  },
  { additionalProperties: false },
);

export type LocalizedText = Static<typeof LocalizedText>;
export type WalkthroughStep = Static<typeof WalkthroughStep>;
export type LabFile = Static<typeof LabFile>;
