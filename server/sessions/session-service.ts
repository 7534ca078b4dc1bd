/**
 * The contract between the session layer and whatever reads sessions from the
 * outside (REST routes, the trace WebSocket, pcap export). Types only: the
 * implementation is session-manager.ts, decorated on the app as `app.sessions`
 * by plugins/sessions.ts. Keep this interface backward compatible: other
 * modules are written against it.
 */
import type { Principal } from "../auth/principal.js";
import type { EventText, ReplayInputs, TraceEvent } from "../engine/index.js";

export type { Principal } from "../auth/principal.js";

export interface SessionRecord {
  id: string;
  labId: string;
  ownerId: string;
  ownerName: string;
  createdAt: Date;
  /** Set when an instructor archived it: it runs no more commands. */
  archivedAt?: Date | null;
}

export type { ReplayInputs };

/**
 * An event as the trace stream carries it: its stored text with the fields
 * filters read (the server never parses stored events to send them), or an
 * event object (a test double's). Either gives the same JSON to a client.
 */
export type StreamEvent = TraceEvent | EventText;

export type SessionListener = (events: readonly StreamEvent[]) => void;

export interface SessionService {
  /** Throws HttpError 404 SESSION_NOT_FOUND / 403 FORBIDDEN (the error shape) unless the principal may use it. */
  authorize(principal: Principal, id: string): Promise<SessionRecord>;
  /** Stored events with seq >= fromSeq, in seq order, at most `limit`. */
  eventsSince(id: string, fromSeq: number, limit: number): Promise<StreamEvent[]>;
  /**
   * Live: the listener is called after each command's row is committed, with
   * that command's events in seq order (only when there are some). Returns
   * the unsubscribe function.
   */
  subscribe(id: string, listener: SessionListener): () => void;
  /** Calls `listener` once if the session is deleted (its trace ends there). Returns the function that cancels it. */
  onDelete(id: string, listener: () => void): () => void;
  /** The seq the next event will get (= events stored so far). */
  nextSeq(id: string): Promise<number>;
  /** What a replay needs: the session's topology, seed, start time and command log. */
  replayInputs(id: string): Promise<ReplayInputs>;
}
