/**
 * Session leases in Redis: which instance runs which session's simulator.
 *
 * A lease is a key `cnlab:lease:<session>` holding "<instance id> <URL>"
 * (where the other instances forward requests for the session), set with NX
 * and a TTL, renewed every third of the TTL by a script that extends only
 * the leases still holding this instance's id. A sorted set `cnlab:leases`
 * keeps each held session with the time its lease ends: a lease that ended
 * without being released (its instance died) stays there with a past time,
 * and `orphans()` finds it for another instance to take over.
 *
 * What this instance believes it holds is kept here too, with a deadline a
 * fifth of the TTL short of the lease's own end (time for the renewal to
 * travel and for clocks to disagree): past it without a renewal, the session
 * counts as lost (`onLost`) even when Redis cannot be reached, so two
 * instances never both run a session they think they hold. The command log
 * refuses a row out of order as a last fence (migration command_log_order).
 *
 * When Redis comes back after its connection was lost, it may have lost its
 * keys too (a restart saves nothing, a promoted replica lags): a lease this
 * instance still counts on is then missing. The renewal sets it again (the
 * instance still holds the session by its own deadline, so nobody else can),
 * and for one TTL after the connection returns this instance takes no
 * session whose lease is missing (`LeaseRecovering`), except one it has just
 * created: by then every instance that held a lease across the outage has
 * set it again or let its engine go, so no session runs on two instances.
 *
 * It does not decide what to do with a session it cannot have (the cluster
 * plugin forwards the request), and keeps no engine.
 */
import type { Redis } from "ioredis";

export interface LeaseHolder {
  instanceId: string;
  /** Where the holder takes forwarded requests. */
  url: string;
}

export interface SessionLeasesOptions {
  instanceId: string;
  /** This instance's advertised URL, read at each claim (it is known only once the server listens). */
  url: () => string;
  ttlMs: number;
  /** Wall clock, ms. */
  now?: () => number;
  /** A held lease was lost (taken by another instance, or not renewed in time): its engine here is stale. */
  onLost: (id: string) => void;
  log: { warn(object: Record<string, unknown>, message: string): void };
}

const LEASE_PREFIX = "cnlab:lease:";
const EXPIRIES = "cnlab:leases";
/** Leases renewed by one script call at most. */
const RENEW_BATCH = 500;

// KEYS: lease, expiries. ARGV: value, ttl, expiry, session, "<instance id> ".
// Takes a free lease or re-takes this instance's own (its URL may have changed); returns the holder's value.
const CLAIM = `
local v = redis.call('GET', KEYS[1])
if v == false or string.sub(v, 1, string.len(ARGV[5])) == ARGV[5] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[4])
  return ARGV[1]
end
return v`;

// KEYS: expiries, then leases. ARGV: "<instance id> ", ttl, expiry, "<instance id> <url>", then the sessions.
// Returns 1 per lease extended, 0 per lease lost. A missing lease is set again: only leases this
// instance still holds by its own deadline are sent, so a missing one means Redis lost it.
const RENEW = `
local out = {}
local mine = ARGV[1]
for i = 2, #KEYS do
  local v = redis.call('GET', KEYS[i])
  if v == false then
    redis.call('SET', KEYS[i], ARGV[4], 'PX', ARGV[2])
    redis.call('ZADD', KEYS[1], ARGV[3], ARGV[i + 3])
    out[i - 1] = 1
  elseif string.sub(v, 1, string.len(mine)) == mine then
    redis.call('PEXPIRE', KEYS[i], ARGV[2])
    redis.call('ZADD', KEYS[1], ARGV[3], ARGV[i + 3])
    out[i - 1] = 1
  else
    out[i - 1] = 0
  end
end
return out`;

// KEYS: lease, expiries. ARGV: "<instance id> ", session. Deletes the lease only if it is this instance's.
const RELEASE = `
local v = redis.call('GET', KEYS[1])
if v ~= false and string.sub(v, 1, string.len(ARGV[1])) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  v = false
end
if v == false then redis.call('ZREM', KEYS[2], ARGV[2]) end
return 1`;

/** The lease is missing while Redis may have lost it (its connection came back less than a TTL ago): nobody may take it yet. */
export class LeaseRecovering extends Error {
  constructor(readonly retryAfterMs: number) {
    super("Redis came back moments ago and may have lost the session's lease: waiting for its holder to set it again");
    this.name = "LeaseRecovering";
  }
}

export function parseHolder(value: string | null): LeaseHolder | null {
  if (value === null) return null;
  const space = value.indexOf(" ");
  return space < 0 ? { instanceId: value, url: "" } : { instanceId: value.slice(0, space), url: value.slice(space + 1) };
}

export class SessionLeases {
  /** Held sessions and until when this instance may count on each, ms (its wall clock). */
  private readonly held = new Map<string, { until: number; since: number }>();
  private readonly pending = new Set<Promise<unknown>>();
  private readonly now: () => number;
  private readonly mine: string;
  private timer: NodeJS.Timeout | null = null;
  private renewing = false;
  /** Until then (ms), a missing lease may be one Redis lost: not taken (see the top of the file). */
  private recoveringUntil = 0;
  /** Whether the connection was lost since it was last ready. */
  private disconnected = false;
  /** Leases extended so far (each lease once per renewal). */
  renewals = 0;

  constructor(
    private readonly redis: Redis,
    private readonly options: SessionLeasesOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.mine = `${options.instanceId} `;
    redis.on("close", () => {
      this.disconnected = true;
    });
    redis.on("ready", () => {
      if (!this.disconnected) return;
      this.disconnected = false;
      this.recoveringUntil = this.now() + options.ttlMs;
      // Set again at once whatever Redis may have lost, rather than at the next renewal.
      void this.renewAll();
    });
  }

  /** Whether Redis came back less than a TTL ago (missing leases are not taken meanwhile). */
  get recovering(): boolean {
    return this.now() < this.recoveringUntil;
  }

  get heldCount(): number {
    return this.held.size;
  }

  heldIds(): string[] {
    return [...this.held.keys()];
  }

  /** When this instance took the session (ms), if it holds it. */
  heldSince(id: string): number | undefined {
    return this.held.get(id)?.since;
  }

  /** Whether this instance may run the session now, by what it knows (no round trip). */
  holds(id: string): boolean {
    const lease = this.held.get(id);
    if (lease === undefined) return false;
    if (lease.until > this.now()) return true;
    this.lose(id);
    return false;
  }

  /**
   * Takes the session if its lease is free (or this instance's); the holder
   * afterwards, this instance or another. `fresh`: the session was created
   * here just now, so nobody else can hold it, even while Redis recovers.
   * Throws LeaseRecovering for a missing lease while Redis recovers.
   */
  async claim(id: string, fresh = false): Promise<LeaseHolder> {
    const value = `${this.options.instanceId} ${this.options.url()}`;
    if (this.holds(id)) return parseHolder(value)!;
    const sent = this.now();
    const { ttlMs } = this.options;
    if (!fresh && sent < this.recoveringUntil) {
      const current = parseHolder(await this.redis.get(LEASE_PREFIX + id));
      if (current === null) throw new LeaseRecovering(this.recoveringUntil - sent);
      if (current.instanceId !== this.options.instanceId) return current;
    }
    const holder = (await this.redis.eval(CLAIM, 2, LEASE_PREFIX + id, EXPIRIES, value, ttlMs, sent + ttlMs, id, this.mine)) as string;
    if (holder === value) this.held.set(id, { until: this.deadline(sent), since: this.held.get(id)?.since ?? sent });
    return parseHolder(holder)!;
  }

  /** The session's holder as Redis has it, or null when nobody holds it. */
  async holder(id: string): Promise<LeaseHolder | null> {
    return parseHolder(await this.redis.get(LEASE_PREFIX + id));
  }

  /** Gives the session's lease back (its engine left memory here); nothing when another instance holds it. */
  release(id: string): void {
    if (!this.held.delete(id)) return;
    this.track(this.redis.eval(RELEASE, 2, LEASE_PREFIX + id, EXPIRIES, this.mine, id));
  }

  /** Sessions whose leases ended without being released (their instance died), oldest first. */
  async orphans(limit: number): Promise<string[]> {
    return this.redis.zrangebyscore(EXPIRIES, "-inf", this.now(), "LIMIT", 0, limit);
  }

  /** Renews every third of the TTL from now on. */
  start(): void {
    this.timer = setInterval(() => void this.renewAll(), Math.max(100, Math.floor(this.options.ttlMs / 3)));
    this.timer.unref();
  }

  /** Extends every held lease still this instance's; those that are not (or ran out) are lost. */
  async renewAll(): Promise<void> {
    if (this.renewing) return;
    this.renewing = true;
    try {
      // Only leases still this instance's by its own deadline: the script sets a missing one again.
      const ids = [...this.held.keys()].filter((id) => this.holds(id));
      const value = `${this.options.instanceId} ${this.options.url()}`;
      for (let i = 0; i < ids.length; i += RENEW_BATCH) {
        const batch = ids.slice(i, i + RENEW_BATCH);
        const sent = this.now();
        const { ttlMs } = this.options;
        let kept: number[];
        try {
          kept = (await this.redis.eval(RENEW, batch.length + 1, EXPIRIES, ...batch.map((id) => LEASE_PREFIX + id), this.mine, ttlMs, sent + ttlMs, value, ...batch)) as number[];
        } catch (err) {
          // Redis away: the leases run on until their deadlines, checked below and at each use.
          this.options.log.warn({ err: (err as Error).message }, "session leases could not be renewed");
          break;
        }
        batch.forEach((id, n) => {
          const lease = this.held.get(id);
          if (lease === undefined) return;
          if (kept[n] === 1) {
            lease.until = this.deadline(sent);
            this.renewals++;
          } else {
            this.lose(id);
          }
        });
      }
      for (const id of [...this.held.keys()]) this.holds(id);
    } finally {
      this.renewing = false;
    }
  }

  /** Stops renewing and gives every lease back. */
  async close(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    for (const id of [...this.held.keys()]) this.release(id);
    await Promise.allSettled([...this.pending]);
  }

  private deadline(sent: number): number {
    return sent + this.options.ttlMs - Math.ceil(this.options.ttlMs / 5);
  }

  private lose(id: string): void {
    this.held.delete(id);
    this.options.onLost(id);
  }

  private track(promise: Promise<unknown>): void {
    const tracked = promise.catch((err: unknown) => this.options.log.warn({ err: (err as Error).message }, "a session lease could not be released; it will run out"));
    this.pending.add(tracked);
    void tracked.finally(() => this.pending.delete(tracked));
  }
}
