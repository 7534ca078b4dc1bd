/**
 * How long sessions are kept, and who may remove them: archiving, the rule
 * for a student deleting their own session, an instructor's bulk delete by
 * last activity, and the retention sweep that deletes sessions left unused
 * longer than CNLAB_RETENTION_DAYS.
 *
 * A session's last activity is its last command (lastCommandAt), or its start
 * (createdAt) when it has none. The rules, as docs/sessions-api.md states them:
 * - A student may delete their own session unless it is archived
 *   (409 SESSION_ARCHIVED) or a grading run has graded it, i.e. it appears in
 *   any GradingSession row (409 SESSION_GRADED); instructors may delete any.
 * - The sweep, when the retention is D > 0 days, deletes every session whose
 *   last activity is more than D days ago, except one a grading run graded
 *   within those D days (a GradingSession row with gradedAt no older), and
 *   except the sessions of a lab a grading run is grading right now (a run
 *   writes a session's row only once it has graded it). So a graded session
 *   outlives its last grading by D days at most; archiving does not exempt one.
 *
 * Every deletion goes through `deleteSession` (the session manager's), so a
 * live engine is dropped and clients streaming the trace are told. This
 * module does not know HTTP beyond throwing HttpError, nor run engines.
 */
import type { FastifyBaseLogger } from "fastify";
import type { Principal } from "../auth/principal.js";
import type { PrismaClient } from "../db/prisma-client.js";
import type { Prisma } from "../generated/prisma/client.js";
import { HttpError } from "../http/http-error.js";

export const DAY_MS = 24 * 60 * 60 * 1000;
/** How often the retention sweep runs (and once when the server starts). */
export const RETENTION_SWEEP_INTERVAL_MS = 60 * 60 * 1000;
/** Sessions selected per query while deleting many. */
const DELETE_BATCH = 200;

export interface BulkDeleteFilter {
  /** Sessions whose last activity is before this moment. */
  before: Date;
  labId?: string | undefined;
  ownerId?: string | undefined;
  /** true: only archived sessions; false: only sessions not archived; absent: both. */
  archived?: boolean | undefined;
}

export interface SessionRetentionOptions {
  /** Days a session may sit unused before the sweep deletes it; 0: keep sessions forever (no sweep). */
  retentionDays: number;
  /** Deletes one session as every delete must go: through the session manager. Rejects with 404 SESSION_NOT_FOUND when it is gone already. */
  deleteSession: (id: string) => Promise<void>;
  log: FastifyBaseLogger;
  /** Wall clock, ms since the epoch; tests inject one. */
  now?: () => number;
  /** Milliseconds between sweeps (default hourly). */
  sweepIntervalMs?: number;
}

export class SessionRetention {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  /** The sweep under way: sweeps never overlap, and close() waits for one. */
  private sweeping: Promise<number> | null = null;
  private closed = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly options: SessionRetentionOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  get retentionDays(): number {
    return this.options.retentionDays;
  }

  // ── Archiving ───────────────────────────────────────────────────────────

  /** Archives the session (keeping the first archivedAt if it already is) or un-archives it. 404 if there is none. */
  async setArchived(id: string, archived: boolean): Promise<void> {
    const { count } = archived
      ? await this.prisma.session.updateMany({ where: { id, archivedAt: null }, data: { archivedAt: new Date(this.now()) } })
      : await this.prisma.session.updateMany({ where: { id, archivedAt: { not: null } }, data: { archivedAt: null } });
    if (count > 0) return;
    // Nothing changed: already as asked, or no such session.
    const exists = await this.prisma.session.findUnique({ where: { id }, select: { id: true } });
    if (exists === null) throw notFound(id);
  }

  // ── Deleting ────────────────────────────────────────────────────────────

  /**
   * Throws 409 unless `principal` may delete the session: instructors may
   * delete any; a student not an archived one (SESSION_ARCHIVED) nor one a
   * grading run has graded (SESSION_GRADED). Ownership is checked before (authorize).
   */
  async assertDeletable(principal: Principal, id: string): Promise<void> {
    if (principal.role === "instructor") return;
    const session = await this.prisma.session.findUnique({ where: { id }, select: { archivedAt: true } });
    if (session === null) throw notFound(id);
    if (session.archivedAt !== null) {
      throw new HttpError(
        409,
        "SESSION_ARCHIVED",
        `This session was archived on ${session.archivedAt.toISOString()}: it is kept as it is and only an instructor may delete it`,
      );
    }
    const graded = await this.prisma.gradingSession.findFirst({ where: { sessionId: id }, select: { runId: true }, orderBy: { gradedAt: "desc" } });
    if (graded !== null) {
      throw new HttpError(409, "SESSION_GRADED", "This session has been graded: it is kept as the record of the grade, and only an instructor may delete it", {
        runId: graded.runId,
      });
    }
  }

  /** Deletes every session the filter selects, one by one through the session manager; returns how many were deleted. */
  async deleteInactive(filter: BulkDeleteFilter): Promise<number> {
    const where: Prisma.SessionWhereInput = {
      ...lastActivityBefore(filter.before),
      ...(filter.labId === undefined ? {} : { labId: filter.labId }),
      ...(filter.ownerId === undefined ? {} : { ownerId: filter.ownerId }),
      ...(filter.archived === undefined ? {} : { archivedAt: filter.archived ? { not: null } : null }),
    };
    return this.deleteWhere(where, () => () => true);
  }

  // ── Retention ───────────────────────────────────────────────────────────

  /**
   * Deletes the sessions unused for longer than the retention, but those a
   * grading run graded within it and those of a lab being graded now.
   * Returns how many were deleted; 0 when the retention is 0 (keep forever).
   * One sweep at a time: a call while one runs gets that one's result.
   */
  sweep(): Promise<number> {
    if (this.options.retentionDays <= 0 || this.closed) return Promise.resolve(0);
    this.sweeping ??= this.sweepOnce().finally(() => {
      this.sweeping = null;
    });
    return this.sweeping;
  }

  /** Sweeps now, then every interval; the timer does not keep the process alive. A failed sweep is logged and tried again at the next tick. */
  start(): void {
    if (this.options.retentionDays <= 0 || this.closed || this.timer !== null) return;
    const tick = () => {
      this.sweep().catch((err: unknown) => this.options.log.error({ err }, "retention sweep failed; it runs again at the next tick"));
    };
    this.timer = setInterval(tick, this.options.sweepIntervalMs ?? RETENTION_SWEEP_INTERVAL_MS);
    this.timer.unref();
    tick();
  }

  /** Stops the timer and waits for a sweep under way (which stops between two sessions). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.sweeping?.catch(() => undefined);
  }

  private async sweepOnce(): Promise<number> {
    const now = this.now();
    const cutoff = new Date(now - this.options.retentionDays * DAY_MS);
    const running = await this.prisma.gradingRun.findMany({ where: { status: "running" }, select: { labId: true }, distinct: ["labId"] });
    const where: Prisma.SessionWhereInput = {
      ...lastActivityBefore(cutoff),
      ...(running.length === 0 ? {} : { labId: { notIn: running.map((r) => r.labId) } }),
    };
    const deleted = await this.deleteWhere(where, async (ids) => {
      const graded = await this.prisma.gradingSession.findMany({
        where: { sessionId: { in: ids }, gradedAt: { gte: cutoff } },
        select: { sessionId: true },
        distinct: ["sessionId"],
      });
      const keep = new Set(graded.map((g) => g.sessionId));
      return (id: string) => !keep.has(id);
    });
    if (deleted > 0) this.options.log.info({ deleted, retentionDays: this.options.retentionDays, before: cutoff.toISOString() }, "retention: deleted sessions unused too long");
    return deleted;
  }

  /**
   * Walks the sessions `where` selects in id order, a batch at a time, and
   * deletes those `select` lets through. Sessions deleted meanwhile by
   * someone else are skipped, not counted.
   */
  private async deleteWhere(
    where: Prisma.SessionWhereInput,
    select: (ids: string[]) => ((id: string) => boolean) | Promise<(id: string) => boolean>,
  ): Promise<number> {
    let deleted = 0;
    let after: string | null = null;
    for (;;) {
      const batchWhere: Prisma.SessionWhereInput = after === null ? where : { AND: [where, { id: { gt: after } }] };
      const rows = await this.prisma.session.findMany({ where: batchWhere, select: { id: true }, orderBy: { id: "asc" }, take: DELETE_BATCH });
      if (rows.length === 0) return deleted;
      const ids = rows.map((r) => r.id);
      const chosen = await select(ids);
      for (const id of ids) {
        // Closing: stop between two sessions (requests are done by then, so only a sweep is cut short).
        if (this.closed) return deleted;
        if (!chosen(id)) continue;
        try {
          await this.options.deleteSession(id);
          deleted++;
        } catch (err) {
          if (!(err instanceof HttpError && err.code === "SESSION_NOT_FOUND")) throw err;
        }
      }
      after = ids.at(-1)!;
    }
  }
}

/** Sessions whose last activity (last command, else start) is before `date`. */
function lastActivityBefore(date: Date): Prisma.SessionWhereInput {
  return { OR: [{ lastCommandAt: { lt: date } }, { lastCommandAt: null, createdAt: { lt: date } }] };
}

function notFound(id: string): HttpError {
  return new HttpError(404, "SESSION_NOT_FOUND", `No session with id "${id}"`);
}
