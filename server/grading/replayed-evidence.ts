/**
 * A real session's evidence. Its network is a copy: the session's replay
 * inputs (topology, seed, start time, every command at its logged virtual
 * time) run into a fresh engine, which is deterministic and so ends in the
 * session's state. Probes run on that copy at its current virtual time; the
 * copy is thrown away with this object, so the student's session, its state
 * and its trace never change. The copy is built once, on first use, and only
 * when a check needs the network.
 *
 * The log, the trace and the answers are read from the database through the
 * sources given, page by page.
 */
import type { Engine } from "../engine/engine.js";
import type { NetworkState } from "../engine/state/snapshot.js";
import type { TraceEvent } from "../engine/trace/trace-event.js";
import { replaySession } from "../sessions/replay.js";
import type { ReplayInputs } from "../sessions/session-service.js";
import type { LoggedCommand, ProbeResult, SessionEvidence } from "./session-evidence.js";

export interface EvidenceSources {
  replayInputs(sessionId: string): Promise<ReplayInputs>;
  eventsSince(sessionId: string, fromSeq: number, limit: number): Promise<TraceEvent[]>;
  commands(sessionId: string, fromIndex: number, limit: number): Promise<readonly (LoggedCommand & { index: number })[]>;
  latestAnswers(sessionId: string): Promise<ReadonlyMap<string, string>>;
}

const EVENTS_PER_READ = 5_000;
const COMMANDS_PER_READ = 1_000;

export class SessionNotReplayable extends Error {
  override readonly name = "SessionNotReplayable";
}

export class ReplayedEvidence implements SessionEvidence {
  private copy: Promise<{ engine: Engine; state: NetworkState }> | null = null;
  private log: Promise<LoggedCommand[]> | null = null;
  private latest: Promise<ReadonlyMap<string, string>> | null = null;

  constructor(
    private readonly sources: EvidenceSources,
    private readonly sessionId: string,
  ) {}

  async state(): Promise<NetworkState> {
    return (await this.network()).state;
  }

  async probe(host: string, namespace: string, command: string): Promise<ProbeResult | null> {
    const { engine } = await this.network();
    if (!engine.hostNames().includes(host) || !engine.namespaceNames(host).includes(namespace)) return null;
    const result = engine.run({ host, namespace, command, at: engine.now });
    return { output: result.output, exitCode: result.exitCode };
  }

  commands(): Promise<readonly LoggedCommand[]> {
    this.log ??= this.readLog();
    return this.log;
  }

  async scanEvents(visit: (event: TraceEvent) => boolean): Promise<void> {
    for (let from = 0; ; ) {
      const events = await this.sources.eventsSince(this.sessionId, from, EVENTS_PER_READ);
      for (const event of events) if (visit(event)) return;
      if (events.length < EVENTS_PER_READ) return;
      from = events.at(-1)!.seq + 1;
    }
  }

  answers(): Promise<ReadonlyMap<string, string>> {
    this.latest ??= this.sources.latestAnswers(this.sessionId);
    return this.latest;
  }

  /** The copy, built on first use; its state is taken before any probe touches it. */
  private network(): Promise<{ engine: Engine; state: NetworkState }> {
    this.copy ??= this.sources.replayInputs(this.sessionId).then((inputs) => {
      const outcome = replaySession(inputs.topology, inputs.seed, inputs.startTime, inputs.commands);
      if (outcome.kind === "invalid-topology") throw new SessionNotReplayable(`the session's network cannot be rebuilt: ${outcome.message}`);
      return { engine: outcome.engine, state: outcome.engine.state() };
    });
    return this.copy;
  }

  private async readLog(): Promise<LoggedCommand[]> {
    const log: LoggedCommand[] = [];
    for (;;) {
      const page = await this.sources.commands(this.sessionId, log.length, COMMANDS_PER_READ);
      log.push(...page.map(({ host, namespace, command, exitCode }) => ({ host, namespace, command, exitCode })));
      if (page.length < COMMANDS_PER_READ) return log;
    }
  }
}
