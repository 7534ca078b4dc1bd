/**
 * A fixed-window counter per key for @fastify/rate-limit. The plugin's own
 * in-memory store hands every caller the same mutable counter object and the
 * plugin reads it only after an await; requests of one token that arrive
 * together all read the final count, so a burst under the limit is refused
 * whole. This store answers with a snapshot of the count at each increment.
 * `read` looks without counting, for limits that count only some outcomes
 * (failed authentications, plugins/auth.ts).
 */
import type { FastifyRateLimitStore } from "@fastify/rate-limit";

interface Window {
  count: number;
  /** When the window ends, ms since the epoch. */
  endsAt: number;
}

/** Past this many keys, expired windows are swept on the next increment. */
const SWEEP_ABOVE = 10_000;

export class SnapshotRateLimitStore implements FastifyRateLimitStore {
  private readonly windows = new Map<string, Window>();
  private readonly now: () => number = Date.now;

  incr(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void, timeWindow: number): void {
    const now = this.now();
    let window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) {
      if (this.windows.size >= SWEEP_ABOVE) this.sweep(now);
      window = { count: 0, endsAt: now + timeWindow };
      this.windows.set(key, window);
    }
    window.count++;
    callback(null, { current: window.count, ttl: window.endsAt - now });
  }

  /** The count so far without adding to it; a window that has ended reads as empty. */
  read(key: string, callback: (error: Error | null, result?: { current: number; ttl: number }) => void): void {
    const now = this.now();
    const window = this.windows.get(key);
    if (window === undefined || window.endsAt <= now) callback(null, { current: 0, ttl: 0 });
    else callback(null, { current: window.count, ttl: window.endsAt - now });
  }

  child(): FastifyRateLimitStore {
    return new SnapshotRateLimitStore();
  }

  private sweep(now: number): void {
    for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
  }
}
