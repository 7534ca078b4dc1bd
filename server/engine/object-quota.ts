/**
 * How many objects a session's network holds (devices, IPv4 addresses,
 * routes, iptables rules and chains, FDB entries, neighbours, sockets) and
 * whether one more fits its EngineLimits. One per network, shared by every
 * host and namespace; the stack's tables count here as they create and
 * destroy, so the counts stay exact without ever scanning the network.
 *
 * It only says yes or no: what a refusal means (a command failing with the
 * message, a learned entry silently not made) is the caller's business.
 * Counts only: no clock, no randomness.
 */
import { LEGACY_LIMITS, type EngineLimits } from "./limits.js";

export const QUOTA_OBJECTS = ["devices", "addresses", "routes", "rules", "fdbEntries", "neighbours", "sockets"] as const;
export type QuotaObject = (typeof QUOTA_OBJECTS)[number];
export type ObjectCounts = Record<QuotaObject, number>;
export type ObjectLimits = Pick<EngineLimits, QuotaObject>;

/** Why an operation was refused: which limit, and how far the session is from it. */
export interface LimitReached {
  readonly kind: "limit-reached";
  readonly object: QuotaObject;
  readonly limit: number;
  /** How many the session holds. */
  readonly count: number;
  /** How many more the refused operation needed. */
  readonly needed: number;
}

export function isLimitReached(x: unknown): x is LimitReached {
  return typeof x === "object" && x !== null && (x as { kind?: unknown }).kind === "limit-reached";
}

const NAMES: Record<QuotaObject, string> = {
  devices: "network devices",
  addresses: "IPv4 addresses",
  routes: "routes",
  rules: "iptables rules and chains",
  fdbEntries: "bridge FDB entries",
  neighbours: "neighbour (ARP) entries",
  sockets: "sockets",
};

/** What a refused command prints: the limit by name and number, and what to do. */
export function limitMessage(r: LimitReached): string {
  const what = `${r.limit} ${NAMES[r.object]}`;
  const left = r.limit - r.count;
  if (left <= 0) return `cnlab: this session has reached its limit of ${what}; delete some first`;
  return `cnlab: this would take this session past its limit of ${what} (${left} left, ${r.needed} needed); delete some first`;
}

/** The sum of two sets of needs. */
export function addCounts(a: Partial<ObjectCounts>, b: Partial<ObjectCounts>): Partial<ObjectCounts> {
  const sum: Partial<ObjectCounts> = { ...a };
  for (const o of QUOTA_OBJECTS) if (b[o] !== undefined) sum[o] = (sum[o] ?? 0) + b[o];
  return sum;
}

function zero(): ObjectCounts {
  return { devices: 0, addresses: 0, routes: 0, rules: 0, fdbEntries: 0, neighbours: 0, sockets: 0 };
}

/** No object limit (the object part of the limits sessions from before limits existed replay under). */
const UNLIMITED: ObjectLimits = LEGACY_LIMITS;

export class ObjectQuota {
  private readonly held = zero();
  /**
   * Off while a lab's topology is built: what the lab declares is counted but
   * never refused (a lab that does not fit is the lab's problem, found by
   * `firstOver`, not a half-built network).
   */
  enforcing = true;

  constructor(readonly limits: ObjectLimits) {}

  /**
   * A quota no session reads: for tables used on their own (tests), and for
   * the tables of a deleted namespace, whose in-flight frames must no longer
   * count against the session.
   */
  static unlimited(): ObjectQuota {
    return new ObjectQuota(UNLIMITED);
  }

  count(object: QuotaObject): number {
    return this.held[object];
  }

  counts(): ObjectCounts {
    return { ...this.held };
  }

  /** The first object whose count is past its limit (a topology bigger than the limits), or null. */
  firstOver(): LimitReached | null {
    for (const o of QUOTA_OBJECTS) if (this.held[o] > this.limits[o]) return this.refusal(o, 0);
    return null;
  }

  /** Whether all of `needs` fits; the first object that does not, otherwise. Takes nothing. */
  check(needs: Partial<ObjectCounts>): LimitReached | null {
    if (!this.enforcing) return null;
    for (const o of QUOTA_OBJECTS) {
      const n = needs[o] ?? 0;
      if (n > 0 && this.held[o] + n > this.limits[o]) return this.refusal(o, n);
    }
    return null;
  }

  /** Takes `n` of one object, or refuses and takes nothing. */
  take(object: QuotaObject, n = 1): LimitReached | null {
    const full = this.check({ [object]: n });
    if (full === null) this.held[object] += n;
    return full;
  }

  /** Counts objects whose room was checked before they were made (a device is checked before its ifindex is taken). */
  add(object: QuotaObject, n = 1): void {
    this.held[object] += n;
  }

  release(object: QuotaObject, n = 1): void {
    this.held[object] -= n;
  }

  private refusal(object: QuotaObject, needed: number): LimitReached {
    return { kind: "limit-reached", object, limit: this.limits[object], count: this.held[object], needed };
  }
}
