/**
 * What the grader may look at in one session, as an interface: its network
 * now, probes run on a copy of that network, its command log, its stored
 * trace and the student's answers. The grader (grade-session.ts) is written
 * against this, so tests can hand it anything; replayed-evidence.ts builds it
 * from a real session.
 */
import { type EventSelector, type NetworkState } from "../engine/index.js";

export interface LoggedCommand {
  host: string;
  /** null: the host's root namespace, as the command was given. */
  namespace: string | null;
  command: string;
  exitCode: number;
}

export interface ProbeResult {
  output: string;
  exitCode: number;
}

export interface SessionEvidence {
  /** The session's network as the student left it, taken before any probe runs. */
  state(): Promise<NetworkState>;
  /**
   * Runs a command on a copy of the session's network (never on the session
   * itself); null when the copy has no such host or namespace. Probes run in
   * the order asked, each seeing what the earlier ones did to the copy.
   */
  probe(host: string, namespace: string, command: string): Promise<ProbeResult | null>;
  /** The session's command log, in order. */
  commands(): Promise<readonly LoggedCommand[]>;
  /** At each selector's place: whether the session's trace has an event it matches. */
  traceSeen(selectors: readonly EventSelector[]): Promise<boolean[]>;
  /** The student's latest answer per task id. */
  answers(): Promise<ReadonlyMap<string, string>>;
}
