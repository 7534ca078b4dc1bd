/**
 * The checks on a lab's tasks and reference solution that its schema cannot
 * express: task ids are unique; dependsOn names earlier tasks; every matcher
 * compiles; a task asks at most one question (output-answer); checks and
 * solution steps name hosts of the topology and namespaces that exist there
 * at load time or that the solution creates (`docker run --name X`,
 * `ip netns add X`); trace-seen fields are fields of that event kind; and the
 * solution answers every question.
 *
 * It does not run anything: whether the solution really earns full marks is a
 * test (test/grading/lab-tasks.test.ts), not a load-time check.
 */
import { TraceEventSchema } from "../engine/index.js";
import type { LabFile } from "./lab-schema.js";
import { matcherIssue } from "./matcher.js";
import type { Issue } from "./schema-issues.js";
import { isSolutionAnswer, type GradingCheck } from "./task-schema.js";

const COMMON_EVENT_FIELDS = new Set(["seq", "time", "kind", "host", "namespace", "device", "packetId", "layers", "summary"]);

/** Per trace-event kind, the fields of its own that trace-seen may match. */
const EVENT_FIELDS: ReadonlyMap<string, readonly string[]> = new Map(
  (TraceEventSchema.anyOf as readonly { properties: Record<string, { const?: unknown }> }[]).map((variant) => [
    String(variant.properties["kind"]?.const),
    Object.keys(variant.properties).filter((name) => !COMMON_EVENT_FIELDS.has(name)),
  ]),
);

/**
 * @param namespaces host name → the namespaces a command can run in when the
 *   lab starts (root, plain namespaces, containers with their own network)
 */
export function checkTasks(lab: LabFile, namespaces: ReadonlyMap<string, ReadonlySet<string>>): Issue[] {
  const issues: Issue[] = [];
  const created = namespacesCreatedBySolution(lab);
  const known = (host: string, namespace: string) => namespaces.get(host)?.has(namespace) === true || created.get(host)?.has(namespace) === true;

  const placeIssues = (path: string, host: string | undefined, namespace: string | undefined) => {
    if (host !== undefined && !namespaces.has(host)) {
      issues.push({ path: `${path}/host`, message: `no host "${host}" in the topology (hosts: ${[...namespaces.keys()].join(", ")})` });
      return;
    }
    if (namespace === undefined) return;
    const hosts = host === undefined ? [...namespaces.keys()] : [host];
    if (!hosts.some((name) => known(name, namespace))) {
      const where = host === undefined ? "no host has" : `host "${host}" has`;
      issues.push({
        path: `${path}/namespace`,
        message: `${where} no namespace "${namespace}", and the solution does not create it (docker run --name ${namespace} … or ip netns add ${namespace})`,
      });
    }
  };

  const taskIndex = new Map<string, number>();
  const questions = new Set<string>();
  lab.tasks?.forEach((task, index) => {
    const path = `/tasks/${index}`;
    if (taskIndex.has(task.id)) issues.push({ path: `${path}/id`, message: `duplicate task id "${task.id}"` });
    task.dependsOn?.forEach((dependency, d) => {
      const at = taskIndex.get(dependency);
      if (dependency === task.id) issues.push({ path: `${path}/dependsOn/${d}`, message: "a task cannot depend on itself" });
      else if (at === undefined) {
        const later = lab.tasks?.some((other) => other.id === dependency) === true;
        issues.push({ path: `${path}/dependsOn/${d}`, message: later ? `"${dependency}" comes later: a task may depend only on earlier tasks` : `no task "${dependency}"` });
      }
    });
    if (!taskIndex.has(task.id)) taskIndex.set(task.id, index);

    const answers = task.checks.filter((check) => check.kind === "output-answer").length;
    if (answers > 1) issues.push({ path: `${path}/checks`, message: "a task asks at most one question: it has more than one output-answer check" });
    if (answers > 0) questions.add(task.id);

    task.checks.forEach((check, c) => {
      const checkPath = `${path}/checks/${c}`;
      for (const [field, value] of matcherFields(check)) {
        const issue = matcherIssue(value);
        if (issue !== null) issues.push({ path: `${checkPath}/${field}`, message: issue });
      }
      if (check.kind !== "output-answer") placeIssues(checkPath, "host" in check ? check.host : undefined, check.namespace);
      if (check.kind === "trace-seen") {
        const allowed = EVENT_FIELDS.get(check.event) ?? [];
        for (const field of Object.keys(check.fields ?? {})) {
          if (!allowed.includes(field)) {
            issues.push({
              path: `${checkPath}/fields/${field}`,
              message: `a ${check.event} event has no field "${field}" (its fields: ${allowed.join(", ") || "none beyond host, namespace, device and summary"})`,
            });
          }
        }
      }
    });
  });

  const answered = new Set<string>();
  lab.solution?.forEach((step, index) => {
    const path = `/solution/${index}`;
    if (!isSolutionAnswer(step)) {
      placeIssues(path, step.host, step.namespace);
      return;
    }
    const task = step.answer.task;
    if (!taskIndex.has(task)) issues.push({ path: `${path}/answer/task`, message: `no task "${task}"` });
    else if (!questions.has(task)) issues.push({ path: `${path}/answer/task`, message: `task "${task}" asks no question (it has no output-answer check)` });
    answered.add(task);
  });
  if (lab.solution !== undefined) {
    for (const task of questions) {
      if (!answered.has(task)) {
        issues.push({ path: `/tasks/${taskIndex.get(task)!}`, message: `the solution does not answer task "${task}": add {answer: {task: ${task}, value: …}} to solution` });
      }
    }
  }
  return issues;
}

/** The matcher-valued fields of a check, as [field path, matcher]. */
function matcherFields(check: GradingCheck): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  const add = (name: string, value: unknown) => {
    if (typeof value === "string") fields.push([name, value]);
  };
  for (const [name, value] of Object.entries(check)) {
    if (name === "kind" || name === "host" || name === "namespace" || name === "to" || name === "feedback" || name === "event" || name === "table") continue;
    if (name === "fields" && value !== null && typeof value === "object") {
      for (const [field, fieldValue] of Object.entries(value)) add(`fields/${field}`, fieldValue);
    } else add(name, value);
  }
  return fields;
}

/** Namespaces the solution's commands bring into being, per host: containers run with their own network, and `ip netns add`. */
function namespacesCreatedBySolution(lab: LabFile): Map<string, Set<string>> {
  const created = new Map<string, Set<string>>();
  for (const step of lab.solution ?? []) {
    if (isSolutionAnswer(step)) continue;
    const name = createdNamespace(step.command);
    if (name === null) continue;
    let set = created.get(step.host);
    if (set === undefined) created.set(step.host, (set = new Set()));
    set.add(name);
  }
  return created;
}

function createdNamespace(command: string): string | null {
  const words = command.trim().split(/\s+/);
  if (words[0] === "ip" && words[1] === "netns" && words[2] === "add" && words[3] !== undefined) return words[3];
  if (words[0] !== "docker" || words[1] !== "run") return null;
  let name: string | null = null;
  let hostNetwork = false;
  for (let i = 2; i < words.length; i++) {
    const word = words[i]!;
    if (word === "--name") name = words[++i] ?? null;
    else if (word.startsWith("--name=")) name = word.slice("--name=".length);
    else if (word === "--net=host" || word === "--network=host") hostNetwork = true;
    else if ((word === "--net" || word === "--network") && words[i + 1] === "host") hostNetwork = true;
  }
  return hostNetwork ? null : name;
}
