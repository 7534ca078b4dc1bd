/**
 * The reads of a session's log that replays make, straight through the
 * database driver instead of Prisma: the seq ranges a trace stream pages
 * through, and the rows and start parameters a rebuild, a progress check or
 * a grading run replays from. Prisma 6's client compiles each query in
 * WebAssembly on the thread that answers requests (a millisecond or two
 * each, no plan cache), and a class's replays make thousands of them: under
 * the load test they were a fifth of that thread's work. Each statement here
 * is prepared once (SQLite) or sent with its parameters (PostgreSQL); the
 * answers are the ones session-repository.ts's Prisma versions gave, which
 * the tests hold on both databases.
 */
import type { DatabaseDriver } from "../db/prisma-client.js";
import { LEGACY_LIMITS, type EngineLimits, type Interruption, type TopologySpec } from "../engine/index.js";
import type { ReplayBase, ReplayRow } from "./session-repository.js";

export interface EventRange {
  index: number;
  eventsFrom: number;
  eventsTo: number;
}

export interface LogReads {
  /** The seq ranges of the rows whose events reach seq `fromSeq` or later, in log order, at most `take`. */
  eventRanges(sessionId: string, fromSeq: number, take: number): Promise<EventRange[]>;
  /** The whole log, in order, with only what a replay reads. */
  replayRows(sessionId: string): Promise<ReplayRow[]>;
  /** The topology and start parameters a replay builds from, and what the quotas need; null for no such session. */
  replayBase(sessionId: string): Promise<ReplayBase | null>;
}

// Log order, spelt as the (sessionId, eventsTo, index) index is: read without a sort.
const EVENT_RANGES_SQL = `SELECT "index", "eventsFrom", "eventsTo" FROM "SessionCommand" WHERE "sessionId" = $1 AND "eventsTo" > $2 ORDER BY "eventsTo", "index" LIMIT $3`;
const REPLAY_ROWS_SQL = (createdAt: string) =>
  `SELECT "index", "host", "namespace", "command", "at", "eventsTo", ${createdAt} AS "createdAt", "interruption" FROM "SessionCommand" WHERE "sessionId" = $1 ORDER BY "eventsTo", "index"`;
const REPLAY_BASE_SQL = `SELECT "topology", "seed", "startTime", "limits", "ownerId", "storedBytes" FROM "Session" WHERE "id" = $1`;

interface RawReplayRow {
  index: number;
  host: string;
  namespace: string | null;
  command: string;
  at: number | string;
  eventsTo: number;
  createdAt: number | string;
  interruption: string | null;
}

interface RawReplayBase {
  topology: string;
  seed: number;
  startTime: number | string;
  limits: string | null;
  ownerId: string;
  storedBytes: number;
}

function replayRow(raw: RawReplayRow): ReplayRow {
  return {
    index: raw.index,
    host: raw.host,
    namespace: raw.namespace,
    command: raw.command,
    at: Number(raw.at),
    eventsTo: raw.eventsTo,
    // SQLite: the ISO text Prisma writes (or epoch ms from its older engines); PostgreSQL: epoch ms.
    createdAt: new Date(typeof raw.createdAt === "string" && !/^[0-9.]+$/.test(raw.createdAt) ? raw.createdAt : Number(raw.createdAt)),
    interruption: raw.interruption === null ? null : (JSON.parse(raw.interruption) as Interruption),
  };
}

function replayBase(raw: RawReplayBase | undefined): ReplayBase | null {
  if (raw === undefined) return null;
  return {
    topology: JSON.parse(raw.topology) as TopologySpec,
    seed: raw.seed,
    startTime: Number(raw.startTime),
    // A session from before limits existed replays under the only one it had: the storm budget.
    limits: raw.limits === null ? LEGACY_LIMITS : { ...LEGACY_LIMITS, ...(JSON.parse(raw.limits) as Partial<EngineLimits>) },
    ownerId: raw.ownerId,
    storedBytes: raw.storedBytes,
  };
}

export function logReads(driver: DatabaseDriver): LogReads {
  switch (driver.kind) {
    case "sqlite": {
      const sqlite = (sql: string) => sql.replace(/\$[0-9]/g, "?");
      const ranges = driver.connection.prepare<[string, number, number], EventRange>(sqlite(EVENT_RANGES_SQL));
      const rows = driver.connection.prepare<[string], RawReplayRow>(sqlite(REPLAY_ROWS_SQL(`"createdAt"`)));
      const base = driver.connection.prepare<[string], RawReplayBase>(sqlite(REPLAY_BASE_SQL));
      // Prisma's connection reads integers as BigInt; these (µs of virtual time included) fit a number.
      for (const statement of [ranges, rows, base]) statement.safeIntegers(false);
      return {
        eventRanges: async (sessionId, fromSeq, take) => ranges.all(sessionId, fromSeq, take),
        replayRows: async (sessionId) => rows.all(sessionId).map(replayRow),
        replayBase: async (sessionId) => replayBase(base.get(sessionId)),
      };
    }
    case "postgresql": {
      const pool = driver.pool;
      // timestamp(3) has no zone: read as epoch ms, the driver would take it for local time.
      const rowsSql = REPLAY_ROWS_SQL(`(EXTRACT(EPOCH FROM "createdAt") * 1000)::float8`);
      return {
        eventRanges: async (sessionId, fromSeq, take) => (await pool.query<EventRange>(EVENT_RANGES_SQL, [sessionId, fromSeq, take])).rows,
        replayRows: async (sessionId) => (await pool.query<RawReplayRow>(rowsSql, [sessionId])).rows.map(replayRow),
        replayBase: async (sessionId) => replayBase((await pool.query<RawReplayBase>(REPLAY_BASE_SQL, [sessionId])).rows[0]),
      };
    }
    default:
      return driver satisfies never;
  }
}
