/**
 * A real session's evidence. Its network is a copy: the session's replay
 * inputs (topology, seed, start time, every command at its logged virtual
 * time) run into a fresh engine in a simulator worker, which is deterministic
 * and so ends in the session's state. Probes run on that copy at its current
 * virtual time; the copy is released by close(), so the student's session,
 * its state and its trace never change. The copy is built once, on first use,
 * and only when a check needs the network.
 *
 * The trace's checks are answered by that copy: its replay watches its own
 * events go by (the same events, by determinism, as the stored trace), so the
 * server does not read the stored trace back. Should the copy already exist
 * without them, the stored trace is read instead. The log and the answers are
 * read from the database through the sources given, page by page.
 */
import { compileSelector, type EventSelector, type EventText, type NetworkState, type TraceEvent } from "../engine/index.js";
import type { LoggedCommand, ProbeResult, SessionEvidence } from "./session-evidence.js";

/** A throw-away copy of a session's network, where probes may run. */
export interface NetworkCopy {
  /** Its state before any probe. */
  state: NetworkState;
  /** At each selector it was built with: whether its replayed trace matched it. */
  seen: boolean[];
  probe(host: string, namespace: string, command: string): Promise<ProbeResult | null>;
  release(): void;
}

export interface EvidenceSources {
  /** Builds a copy of the session's network, watching its replay for `selectors` (SessionNotReplayable when its topology no longer builds). */
  copyNetwork(sessionId: string, selectors: readonly EventSelector[]): Promise<NetworkCopy>;
  eventsSince(sessionId: string, fromSeq: number, limit: number): Promise<readonly (TraceEvent | EventText)[]>;
  commands(sessionId: string, fromIndex: number, limit: number): Promise<readonly (LoggedCommand & { index: number })[]>;
  latestAnswers(sessionId: string): Promise<ReadonlyMap<string, string>>;
}

const EVENTS_PER_READ = 5_000;
const COMMANDS_PER_READ = 1_000;

export class SessionNotReplayable extends Error {
  override readonly name = "SessionNotReplayable";
}

export class ReplayedEvidence implements SessionEvidence {
  private copy: Promise<NetworkCopy> | null = null;
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
    return (await this.network()).probe(host, namespace, command);
  }

  /** Releases the copy, if one was built. */
  async close(): Promise<void> {
    const copy = this.copy;
    this.copy = null;
    if (copy !== null) (await copy.catch(() => null))?.release();
  }

  commands(): Promise<readonly LoggedCommand[]> {
    this.log ??= this.readLog();
    return this.log;
  }

  async traceSeen(selectors: readonly EventSelector[]): Promise<boolean[]> {
    if (selectors.length === 0) return [];
    if (this.copy === null) return (await this.network(selectors)).seen;
    return this.scanStored(selectors);
  }

  answers(): Promise<ReadonlyMap<string, string>> {
    this.latest ??= this.sources.latestAnswers(this.sessionId);
    return this.latest;
  }

  /** The copy, built on first use; its state is taken before any probe touches it. */
  private network(selectors: readonly EventSelector[] = []): Promise<NetworkCopy> {
    this.copy ??= this.sources.copyNetwork(this.sessionId, selectors);
    return this.copy;
  }

  /** The stored trace read back, page by page; only events of a wanted kind are parsed. */
  private async scanStored(selectors: readonly EventSelector[]): Promise<boolean[]> {
    const tests = selectors.map(compileSelector);
    const kinds = new Set(selectors.map((s) => s.kind));
    const seen = selectors.map(() => false);
    for (let from = 0; ; ) {
      const events = await this.sources.eventsSince(this.sessionId, from, EVENTS_PER_READ);
      for (const text of events) {
        if (!kinds.has(text.kind)) continue;
        const event = "json" in text ? (JSON.parse(text.json) as TraceEvent) : text;
        tests.forEach((test, i) => (seen[i] ||= test(event)));
        if (seen.every(Boolean)) return seen;
      }
      if (events.length < EVENTS_PER_READ) return seen;
      from = events.at(-1)!.seq + 1;
    }
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
