/**
 * How many trace streams are open, per token and per session, and whether
 * one more may open. Each open WebSocket holds a socket, its buffers and a
 * live subscription, so a client that opens sockets in a loop (one student
 * once opened 3,000 on one session) would otherwise grow the server's memory
 * without bound.
 *
 * A slot is taken before the upgrade and given back exactly once, by the
 * release function it comes with, whenever the connection ends (closed,
 * errored, cut off by the heartbeat, or a handshake that never completed).
 * Taking and checking happen in one synchronous step, so two upgrades that
 * arrive together cannot both take the last slot.
 *
 * It knows nothing of sockets or HTTP: the trace route ties releases to
 * connections and turns a refusal into its 429.
 */

export interface StreamLimits {
  /** Streams one token may have open at once, over all sessions. */
  perToken: number;
  /** Streams open on one session at once, whoever opened them. */
  perSession: number;
}

/** Which limit a new stream would pass, and how many are open under it. */
export interface StreamRefusal {
  scope: "token" | "session";
  limit: number;
  open: number;
}

export type SlotOutcome = { ok: true; release: () => void } | ({ ok: false } & StreamRefusal);

export class TraceStreamSlots {
  private readonly byToken = new Map<string, number>();
  private readonly bySession = new Map<string, number>();

  constructor(private readonly limits: StreamLimits) {}

  /** Takes a slot for a stream of `tokenId` on `sessionId`, or says which limit is full (the token's is checked first). */
  acquire(tokenId: string, sessionId: string): SlotOutcome {
    const tokenOpen = this.byToken.get(tokenId) ?? 0;
    if (tokenOpen >= this.limits.perToken) return { ok: false, scope: "token", limit: this.limits.perToken, open: tokenOpen };
    const sessionOpen = this.bySession.get(sessionId) ?? 0;
    if (sessionOpen >= this.limits.perSession) return { ok: false, scope: "session", limit: this.limits.perSession, open: sessionOpen };
    this.byToken.set(tokenId, tokenOpen + 1);
    this.bySession.set(sessionId, sessionOpen + 1);
    let held = true;
    return {
      ok: true,
      // Idempotent: a connection may report its end more than once (its socket's close, then the WebSocket's).
      release: () => {
        if (!held) return;
        held = false;
        decrement(this.byToken, tokenId);
        decrement(this.bySession, sessionId);
      },
    };
  }

  /** Streams `tokenId` has open now. */
  openForToken(tokenId: string): number {
    return this.byToken.get(tokenId) ?? 0;
  }

  /** Streams open on `sessionId` now. */
  openOnSession(sessionId: string): number {
    return this.bySession.get(sessionId) ?? 0;
  }
}

function decrement(counts: Map<string, number>, key: string): void {
  const n = (counts.get(key) ?? 0) - 1;
  // Keys with no stream are removed, so the maps hold only what is open.
  if (n <= 0) counts.delete(key);
  else counts.set(key, n);
}
