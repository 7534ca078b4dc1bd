/**
 * The lab's texts beside the work: introduction and background, the
 * walkthrough (a "run this step" button per step, which types the command
 * into the right terminal), the conclusion; and the tasks with hints,
 * answers and live progress.
 */
import { useState } from "preact/hooks";
import type { Lab, LoggedCommand, Progress, WalkthroughStep } from "../api/types.js";
import { useI18n } from "../i18n.js";
import { pure } from "../ui/pure.js";
import { Paragraphs } from "../ui/paragraphs.js";

function stepDone(step: WalkthroughStep, commands: LoggedCommand[]): boolean {
  const ns = step.namespace ?? null;
  return commands.some((c) => c.host === step.host && (c.namespace ?? null) === (ns === "root" ? null : ns) && c.command.trim().replace(/\s+/g, " ") === step.command.trim().replace(/\s+/g, " "));
}

export const GuidePanel = pure(function GuidePanel(props: {
  lab: Lab;
  commands: LoggedCommand[];
  progress: Progress | null;
  readOnly: boolean;
  busy: boolean;
  onRunStep: (step: WalkthroughStep) => void;
  onAnswer: (taskId: string, value: string) => Promise<void>;
}) {
  const { t, pick } = useI18n();
  const [tab, setTab] = useState<"guide" | "tasks">("guide");
  const { lab, progress } = props;
  return (
    <>
      <div class="tabs" role="tablist">
        <button role="tab" aria-selected={tab === "guide"} onClick={() => setTab("guide")}>
          {t("guide")}
        </button>
        <button role="tab" aria-selected={tab === "tasks"} onClick={() => setTab("tasks")} data-testid="tasks-tab">
          {t("tasks")} {progress && `(${progress.score}/${progress.maxScore})`}
        </button>
      </div>
      <div class="scroll guide">
        {tab === "guide" ? (
          <>
            <h2>{t("intro")}</h2>
            <Paragraphs text={pick(lab.texts.intro)} />
            {lab.texts.background && (
              <details>
                <summary>
                  <b>{t("background")}</b>
                </summary>
                <Paragraphs text={pick(lab.texts.background)} />
              </details>
            )}
            <h2>{t("walkthrough")}</h2>
            {lab.walkthrough.map((step, i) => {
              const done = stepDone(step, props.commands);
              return (
                <div class={`step${done ? " done" : ""}`} key={i} data-step={i}>
                  <div class="where">
                    {i + 1}. {step.host}
                    {step.namespace && step.namespace !== "root" ? ` › ${step.namespace}` : ""} {done ? "✓" : ""}
                  </div>
                  <div class="cmd">
                    <code>{step.command}</code>
                    {!props.readOnly && (
                      <button disabled={props.busy} onClick={() => props.onRunStep(step)} title={t("runStep")} data-testid={`run-step-${i}`}>
                        ▶ {t("runStep")}
                      </button>
                    )}
                  </div>
                  <div class="explain">
                    <Paragraphs text={pick(step.explain)} />
                  </div>
                </div>
              );
            })}
            {lab.texts.conclusion && (
              <>
                <h2>{t("conclusion")}</h2>
                <Paragraphs text={pick(lab.texts.conclusion)} />
              </>
            )}
          </>
        ) : (
          <Tasks {...props} />
        )}
      </div>
    </>
  );
});

function Tasks(props: { lab: Lab; progress: Progress | null; readOnly: boolean; onAnswer: (taskId: string, value: string) => Promise<void> }) {
  const { t, pick } = useI18n();
  const [answers, setAnswers] = useState<Record<string, string>>({});
  const [error, setError] = useState<string | null>(null);
  const { progress } = props;
  return (
    <div data-testid="tasks">
      {progress && (
        <div class="row-actions">
          <b>{t("progress")}</b>
          <div class="bar">
            <div style={{ width: `${progress.maxScore === 0 ? 0 : (100 * progress.score) / progress.maxScore}%` }} />
          </div>
          <span data-testid="score">
            {progress.score}/{progress.maxScore}
          </span>
        </div>
      )}
      {error && <p class="error">{error}</p>}
      {props.lab.tasks.map((task) => {
        const result = progress?.tasks.find((r) => r.taskId === task.id);
        return (
          <div class="task" key={task.id} data-task={task.id}>
            <div>
              <b>{pick(task.title)}</b> <span class="muted">· {task.points} {t("points")}</span>{" "}
              {result && <span class={`status ${result.status}`}>{result.status === "passed" ? `✓ ${t("passed")}` : result.status === "failed" ? t("failed") : t("skipped")}</span>}
            </div>
            <p style={{ margin: "4px 0" }}>{pick(task.text)}</p>
            {result?.status === "failed" &&
              result.checks
                .filter((c) => !c.passed && c.feedback !== null)
                .map((c) => (
                  <div class="feedback" key={c.index}>
                    • {pick(c.feedback!)}
                  </div>
                ))}
            {(task.hints ?? []).map((hint, i) => (
              <details key={i}>
                <summary class="muted">
                  {t("hint")} {i + 1}
                </summary>
                {pick(hint)}
              </details>
            ))}
            {task.takesAnswer && !props.readOnly && (
              <form
                class="row-actions"
                onSubmit={(e) => {
                  e.preventDefault();
                  setError(null);
                  props.onAnswer(task.id, answers[task.id] ?? "").catch((err: Error) => setError(err.message));
                }}
              >
                <input aria-label={t("answer")} placeholder={t("answer")} data-testid={`answer-${task.id}`} value={answers[task.id] ?? ""} onInput={(e) => setAnswers({ ...answers, [task.id]: (e.target as HTMLInputElement).value })} />
                <button type="submit">{t("submit")}</button>
              </form>
            )}
          </div>
        );
      })}
    </div>
  );
}
