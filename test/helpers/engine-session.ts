/**
 * A session without a server, for grading tests: commands run on an engine
 * built from a shipped lab, logged with their virtual times and events as
 * the session manager logs them, and answers kept per task. Its evidence is
 * the real ReplayedEvidence over in-memory sources, so the grader replays a
 * copy exactly as it does for a stored session.
 */
import { ReplayedEvidence } from "../../server/grading/replayed-evidence.js";
import type { SessionEvidence } from "../../server/grading/session-evidence.js";
import { DEFAULT_LIMITS, replaySession, SelectorWatch, type TopologySpec, type TraceEvent } from "../../server/engine/index.js";
import { isSolutionAnswer, type SolutionStep } from "../../server/labs/task-schema.js";
import { engineFor, loadLab } from "../engine/helpers/lab-engine.js";

export interface LoggedRun {
  host: string;
  namespace: string | undefined;
  command: string;
  at: number;
  exitCode: number;
  output: string;
}

export class EngineSession {
  readonly log: LoggedRun[] = [];
  readonly events: TraceEvent[] = [];
  readonly answers = new Map<string, string>();
  private readonly engine;

  constructor(
    readonly topology: TopologySpec,
    readonly seed: number,
  ) {
    this.engine = engineFor(topology, { seed, startTime: 0 });
  }

  static ofLab(labId: string, seed: number): EngineSession {
    return new EngineSession(loadLab(labId).topology as TopologySpec, seed);
  }

  run(host: string, namespace: string | undefined, command: string): LoggedRun {
    // A second of virtual time between commands, as a student typing would leave.
    const at = this.engine.now + 1_000_000;
    const result = this.engine.run({ host, ...(namespace === undefined ? {} : { namespace }), command, at });
    const entry = { host, namespace, command, at, exitCode: result.exitCode, output: result.output };
    this.log.push(entry);
    this.events.push(...result.events);
    return entry;
  }

  /** Plays solution steps: commands run, answers recorded (the latest per task wins). */
  play(steps: readonly SolutionStep[]): this {
    for (const step of steps) {
      if (isSolutionAnswer(step)) this.answers.set(step.answer.task, step.answer.value);
      else this.run(step.host, step.namespace, step.command);
    }
    return this;
  }

  state() {
    return this.engine.state();
  }

  evidence(): SessionEvidence {
    return new ReplayedEvidence(
      {
        copyNetwork: async (_id, selectors) => {
          // As a simulator worker builds a grading copy: the replay's own events answer the selectors.
          const watch = new SelectorWatch(selectors);
          const outcome = replaySession(
            {
              topology: this.topology,
              seed: this.seed,
              startTime: 0,
              limits: DEFAULT_LIMITS,
              commands: this.log.map(({ host, namespace, command, at }) => ({ host, namespace, command, at })),
            },
            undefined,
            { commandEvents: (_index, events) => watch.watch(events) },
          );
          if (outcome.kind !== "ok") throw new Error(outcome.message);
          const { engine } = outcome;
          return {
            state: engine.state(),
            seen: watch.seen,
            probe: async (host, namespace, command) => {
              if (!engine.hostNames().includes(host) || !engine.namespaceNames(host).includes(namespace)) return null;
              const result = engine.run({ host, namespace, command, at: engine.now });
              return { output: result.output, exitCode: result.exitCode };
            },
            release: () => undefined,
          };
        },
        eventsSince: async (_id, fromSeq, limit) => this.events.filter((event) => event.seq >= fromSeq).slice(0, limit),
        commands: async (_id, from, limit) =>
          this.log.slice(from, from + limit).map((entry, offset) => ({ index: from + offset, host: entry.host, namespace: entry.namespace ?? null, command: entry.command, exitCode: entry.exitCode })),
        latestAnswers: async () => new Map(this.answers),
      },
      "engine-session",
    );
  }
}
