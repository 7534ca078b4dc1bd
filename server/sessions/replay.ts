/**
 * Rebuilds a session's engine from its inputs: the topology it started from,
 * its seed and start time, and every logged command run again at its logged
 * virtual time. The engine is deterministic, so the result has the same
 * state and produced the same trace as the engine that ran the commands.
 */
import { Engine } from "../engine/engine.js";
import type { FrameCapture } from "../engine/link/device.js";
import type { TopologySpec } from "../engine/topology/topology-schema.js";

export interface ReplayCommandInput {
  host: string;
  namespace: string | null | undefined;
  command: string;
  at: number;
  /** The seq after this command's events when it first ran, to check the replay against. */
  eventsTo?: number;
}

export type ReplayOutcome =
  | { kind: "ok"; engine: Engine; divergedAt: null }
  /** The replay produced another number of events than the log says: the engine changed under the log. */
  | { kind: "ok"; engine: Engine; divergedAt: { index: number; expected: number; actual: number } }
  | { kind: "invalid-topology"; message: string };

export function replaySession(
  topology: TopologySpec,
  seed: number,
  startTime: number,
  commands: readonly ReplayCommandInput[],
  /** Sees every frame a device sends or receives during the replay (capture files). */
  capture?: FrameCapture,
): ReplayOutcome {
  const engine = Engine.create(topology, { seed, startTime, capture });
  if (!(engine instanceof Engine)) {
    return { kind: "invalid-topology", message: engine.issues.map((issue) => `${issue.path}: ${issue.message}`).join("; ") };
  }
  let divergedAt: { index: number; expected: number; actual: number } | null = null;
  commands.forEach((command, index) => {
    engine.run({ host: command.host, namespace: command.namespace ?? undefined, command: command.command, at: command.at });
    if (divergedAt === null && command.eventsTo !== undefined && engine.nextSeq !== command.eventsTo) {
      divergedAt = { index, expected: command.eventsTo, actual: engine.nextSeq };
    }
  });
  return { kind: "ok", engine, divergedAt };
}
