/**
 * Rebuilds a session's engine from its inputs: the topology it started from,
 * its seed, start time and limits, and every logged command run again at its
 * logged virtual time, stopped where it was stopped the first time. The
 * engine is deterministic, so the result has the same state and produced the
 * same trace as the engine that ran the commands.
 *
 * `replaySteps` is a generator that yields between two steps of a command,
 * so whoever runs it can share its thread with other work; `replaySession`
 * runs it to the end at once.
 */
import { CommandJob, type CommandResult, type Interruption } from "./command-job.js";
import { Engine } from "./engine.js";
import type { FrameCapture } from "./link/device.js";
import type { EngineLimits } from "./limits.js";
import type { TopologySpec } from "./topology/topology-schema.js";
import type { TraceEvent } from "./trace/trace-event.js";

export interface ReplayCommand {
  host: string;
  namespace: string | null | undefined;
  command: string;
  /** Virtual time (µs) the command was run at. */
  at: number;
  /** Where a limit stopped it the first time; null or absent when it ran to its end. */
  interruption?: Interruption | null;
  /** The seq after this command's events when it first ran, to check the replay against. */
  eventsTo?: number;
}

export interface ReplayInputs {
  /** The lab topology as the session uses it (a copy taken when the session started). */
  topology: TopologySpec;
  seed: number;
  startTime: number;
  /** The limits the session runs under. */
  limits: EngineLimits;
  commands: ReplayCommand[];
}

export interface Divergence {
  index: number;
  expected: number;
  actual: number;
}

/**
 * Told when each logged command starts, the events it records as its steps
 * record them, and when it ends (a capture of one command's frames listens;
 * a grading copy watches the events go by). The events are handed over a
 * step at a time and not kept: a replayed ping at its event budget records
 * hundreds of thousands of them.
 */
export interface ReplayObserver {
  commandStarts?(index: number): void;
  /** Some of command `index`'s events, in order; together, each of them once. */
  commandEvents?(index: number, events: readonly TraceEvent[]): void;
  commandEnded?(index: number): void;
}

export type ReplayOutcome =
  /** divergedAt: the replay produced another number of events than the log says (the engine changed under the log). */
  | { kind: "ok"; engine: Engine; divergedAt: Divergence | null }
  | { kind: "invalid-topology"; message: string };

export function* replaySteps(inputs: ReplayInputs, capture?: FrameCapture, observer?: ReplayObserver): Generator<void, ReplayOutcome, void> {
  const engine = Engine.create(inputs.topology, { seed: inputs.seed, startTime: inputs.startTime, limits: inputs.limits, ...(capture ? { capture } : {}) });
  if (!(engine instanceof Engine)) {
    return { kind: "invalid-topology", message: engine.issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ") };
  }
  let divergedAt: Divergence | null = null;
  for (let index = 0; index < inputs.commands.length; index++) {
    const command = inputs.commands[index]!;
    observer?.commandStarts?.(index);
    const job = engine.start(
      { host: command.host, namespace: command.namespace ?? undefined, command: command.command, at: command.at },
      command.interruption ?? null,
    );
    let result: CommandResult;
    if (job instanceof CommandJob) {
      while (!job.step()) {
        const events = job.takeEvents();
        if (events.length > 0) observer?.commandEvents?.(index, events);
        yield;
      }
      result = job.result();
    } else {
      result = job;
    }
    if (result.events.length > 0) observer?.commandEvents?.(index, result.events);
    observer?.commandEnded?.(index);
    if (divergedAt === null && command.eventsTo !== undefined && engine.nextSeq !== command.eventsTo) {
      divergedAt = { index, expected: command.eventsTo, actual: engine.nextSeq };
    }
    yield;
  }
  return { kind: "ok", engine, divergedAt };
}

/** The replay run to its end at once. */
export function replaySession(inputs: ReplayInputs, capture?: FrameCapture, observer?: ReplayObserver): ReplayOutcome {
  const steps = replaySteps(inputs, capture, observer);
  for (;;) {
    const next = steps.next();
    if (next.done === true) return next.value;
  }
}
