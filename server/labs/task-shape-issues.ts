/**
 * Precise schema errors for the unions of the graded part. A check is one of
 * eleven shapes chosen by its `kind`, and a solution step is a command or an
 * answer; a plain union validator reports every shape's complaints (and stops
 * at a handful), which tells an author nothing. Here each failing check is
 * validated again against the one shape its `kind` names ("unknown kind"
 * when none), and each failing solution step against the shape its keys
 * suggest, and those issues replace the union's.
 */
import { Compile } from "typebox/compile";
import type { TSchema } from "typebox";
import { schemaIssues, type Issue } from "./schema-issues.js";
import { CHECK_KINDS, GradingCheck, SolutionAnswer, SolutionCommand } from "./task-schema.js";

type Validator = ReturnType<typeof Compile<TSchema>>;

const checkShapes = new Map<string, { schema: TSchema; validator: Validator }>(
  (GradingCheck.anyOf as readonly TSchema[]).map((schema) => {
    const kind = String((schema as { properties: { kind: { const: string } } }).properties.kind.const);
    return [kind, { schema, validator: Compile(schema) }];
  }),
);
const commandShape = { schema: SolutionCommand as TSchema, validator: Compile(SolutionCommand as TSchema) };
const answerShape = { schema: SolutionAnswer as TSchema, validator: Compile(SolutionAnswer as TSchema) };

const CHECK_PATH = /^\/tasks\/(\d+)\/checks\/(\d+)(?:\/|$)/;
const SOLUTION_PATH = /^\/solution\/(\d+)(?:\/|$)/;

/** `issues` with those about a check or a solution step replaced by the ones of its own shape. */
export function refineTaskIssues(value: unknown, issues: readonly Issue[]): Issue[] {
  const refined: Issue[] = [];
  const done = new Set<string>();
  for (const issue of issues) {
    const check = CHECK_PATH.exec(issue.path);
    const step = check === null ? SOLUTION_PATH.exec(issue.path) : null;
    if (check === null && step === null) {
      refined.push(issue);
      continue;
    }
    const base = check !== null ? `/tasks/${check[1]}/checks/${check[2]}` : `/solution/${step![1]}`;
    if (done.has(base)) continue;
    done.add(base);
    const item = check !== null ? at(value, ["tasks", check[1]!, "checks", check[2]!]) : at(value, ["solution", step![1]!]);
    const own = check !== null ? checkIssues(item) : stepIssues(item);
    refined.push(...(own === null ? [issue] : own.map((inner) => ({ path: `${base}${inner.path}`, message: inner.message }))));
  }
  return refined;
}

function checkIssues(item: unknown): Issue[] | null {
  if (!isObject(item)) return null;
  const kind = item["kind"];
  if (kind === undefined) return [{ path: "/kind", message: "required field is missing" }];
  const shape = typeof kind === "string" ? checkShapes.get(kind) : undefined;
  if (shape === undefined) return [{ path: "/kind", message: `unknown check kind: must be one of ${CHECK_KINDS.join(", ")}` }];
  return shapeIssues(shape, item);
}

function stepIssues(item: unknown): Issue[] | null {
  if (!isObject(item)) return null;
  return shapeIssues("answer" in item ? answerShape : commandShape, item);
}

function shapeIssues(shape: { schema: TSchema; validator: Validator }, item: unknown): Issue[] | null {
  if (shape.validator.Check(item)) return null;
  const issues = schemaIssues(shape.schema, [...shape.validator.Errors(item)]);
  return issues.length === 0 ? null : issues;
}

function at(value: unknown, keys: readonly string[]): unknown {
  let node = value;
  for (const key of keys) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}
