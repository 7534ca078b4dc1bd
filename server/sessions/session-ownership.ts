/**
 * What the session manager asks of the instances around it, and tells them.
 * Alone (no REDIS_URL), every session is this instance's and nobody listens:
 * `ALONE` is that. With several instances, server/cluster implements it with
 * leases in Redis and a trace fan-out (see docs/scale-out.md).
 *
 * Types, the single-instance default and the one error both sides give: the
 * sessions layer does not know Redis, HTTP forwarding or other instances.
 */
import { HttpError } from "../http/http-error.js";

export interface SessionOwnership {
  /**
   * Whether other instances write to the same database: then what this one
   * counted of it (a token's stored bytes, for the storage quota) goes stale
   * as they run commands, and is read again each time it is needed.
   */
  readonly shared: boolean;
  /** Whether this instance holds the session now (a synchronous look at what it knows): an engine kept for a session it no longer holds is stale. */
  holds(id: string): boolean;
  /**
   * Before building the session's engine: take the session for this instance;
   * false when another instance holds it. `fresh`: this instance created the
   * session just now, so nobody else can hold it.
   */
  claim(id: string, fresh: boolean): Promise<boolean>;
  /** The session's engine left memory (idle, capacity, a failure, deletion): let the session go. */
  released(id: string): void;
  /** A command's row is committed: events [from, to) are stored. */
  committed(id: string, events: { from: number; to: number }): void;
  /** The session was deleted here. */
  deleted(id: string): void;
  /** The session's row changed (archived): other instances must read it again. */
  invalidated(id: string): void;
  /**
   * Someone here started watching the session's trace; resolves once events
   * committed on other instances from now on will reach this one. The
   * manager's store reads for the session wait for it.
   */
  watch(id: string): Promise<void>;
  /** Nobody here watches the session's trace any more. */
  unwatch(id: string): void;
}

const done = Promise.resolve();

export const ALONE: SessionOwnership = {
  shared: false,
  holds: () => true,
  claim: async () => true,
  released: () => undefined,
  committed: () => undefined,
  deleted: () => undefined,
  invalidated: () => undefined,
  watch: () => done,
  unwatch: () => undefined,
};

/** Another instance runs the session now (the request ran nowhere): the client or the forwarding instance asks again. */
export function sessionMoved(): HttpError {
  return new HttpError(503, "SESSION_MOVED", "Another cnlab instance runs this session now: send the request again", { retryAfterSeconds: 1 }, { "retry-after": "1" });
}
