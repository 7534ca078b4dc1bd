/**
 * The reads of the log on the paths every command, stream and replay takes,
 * straight through the database driver instead of Prisma: the seq ranges a
 * trace stream pages through and the stored events it reads, the rows and
 * start parameters a rebuild, a progress check or a grading run replays from,
 * and a token's stored bytes, which the storage quota checks before each
 * command when several instances share the database. Prisma 6's client
 * compiles each query in WebAssembly on the thread that answers requests (a
 * millisecond or two each, no plan cache), and a class makes thousands of
 * them: under the load test they were a fifth of that thread's work; and a
 * long command's events are megabytes, which Prisma's result handling would
 * copy and convert on the way. Each statement here is prepared once (SQLite)
 * or sent with its parameters (PostgreSQL); the tests hold the answers to
 * Prisma's on both databases.
 */
import type { DatabaseDriver } from "../db/prisma-client.js";
import { LEGACY_LIMITS, type EngineLimits, type Interruption, type TopologySpec } from "../engine/index.js";
import type { ReplayBase, ReplayRow } from "./session-repository.js";
import { sqlitePlaceholders } from "../db/sqlite-statements.js";

export interface EventRange {
  index: number;
  eventsFrom: number;
  eventsTo: number;
}

/** A row's stored events: the JSON array text (rows written before compression), or its deflated chunks. */
export type StoredEventsColumn = { text: string } | { chunked: Uint8Array };

export interface LogReads {
  /** The seq ranges of the rows whose events reach seq `fromSeq` or later, in log order, at most `take`. */
  eventRanges(sessionId: string, fromSeq: number, take: number): Promise<EventRange[]>;
  /** The stored events of the rows whose eventsTo lies in [fromEventsTo, toEventsTo], by index (the (sessionId, eventsTo, index) index finds them). */
  eventTexts(sessionId: string, fromEventsTo: number, toEventsTo: number): Promise<Map<number, StoredEventsColumn>>;
  /** The whole log, in order, with only what a replay reads. */
  replayRows(sessionId: string): Promise<ReplayRow[]>;
  /** The topology and start parameters a replay builds from, and what the quotas need; null for no such session. */
  replayBase(sessionId: string): Promise<ReplayBase | null>;
  /** Bytes stored by all of one token's sessions. */
  tokenStoredBytes(ownerId: string): Promise<number>;
}

// Log order, spelt as the (sessionId, eventsTo, index) index is: read without a sort.
const EVENT_RANGES_SQL = `SELECT "index", "eventsFrom", "eventsTo" FROM "SessionCommand" WHERE "sessionId" = $1 AND "eventsTo" > $2 ORDER BY "eventsTo", "index" LIMIT $3`;
const REPLAY_ROWS_SQL = (createdAt: string) =>
  `SELECT "index", "host", "namespace", "command", "at", "eventsTo", ${createdAt} AS "createdAt", "interruption" FROM "SessionCommand" WHERE "sessionId" = $1 ORDER BY "eventsTo", "index"`;
const REPLAY_BASE_SQL = `SELECT "topology", "seed", "startTime", "limits", "ownerId", "storedBytes" FROM "Session" WHERE "id" = $1`;
const EVENT_TEXTS_SQL = `SELECT "index", "events", "eventsDeflated" FROM "SessionCommand" WHERE "sessionId" = $1 AND "eventsTo" >= $2 AND "eventsTo" <= $3`;
// PostgreSQL sums an integer column as a bigint, which its driver reads as text.
const TOKEN_BYTES_SQL = `SELECT COALESCE(SUM("storedBytes"), 0) AS "total" FROM "Session" WHERE "ownerId" = $1`;

interface RawEventTexts {
  index: number;
  events: string;
  eventsDeflated: Uint8Array | null;
}

function eventTextsByIndex(rows: readonly RawEventTexts[]): Map<number, StoredEventsColumn> {
  return new Map(rows.map((row) => [row.index, row.eventsDeflated === null ? { text: row.events } : { chunked: row.eventsDeflated }]));
}

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
      const ranges = driver.connection.prepare<[string, number, number], EventRange>(sqlitePlaceholders(EVENT_RANGES_SQL));
      const rows = driver.connection.prepare<[string], RawReplayRow>(sqlitePlaceholders(REPLAY_ROWS_SQL(`"createdAt"`)));
      const base = driver.connection.prepare<[string], RawReplayBase>(sqlitePlaceholders(REPLAY_BASE_SQL));
      const texts = driver.connection.prepare<[string, number, number], RawEventTexts>(sqlitePlaceholders(EVENT_TEXTS_SQL));
      const tokenBytes = driver.connection.prepare<[string], { total: number }>(sqlitePlaceholders(TOKEN_BYTES_SQL));
      // Prisma's connection reads integers as BigInt; these (µs of virtual time included) fit a number.
      for (const statement of [ranges, rows, base, texts, tokenBytes]) statement.safeIntegers(false);
      return {
        eventRanges: async (sessionId, fromSeq, take) => ranges.all(sessionId, fromSeq, take),
        eventTexts: async (sessionId, fromEventsTo, toEventsTo) => eventTextsByIndex(texts.all(sessionId, fromEventsTo, toEventsTo)),
        replayRows: async (sessionId) => rows.all(sessionId).map(replayRow),
        replayBase: async (sessionId) => replayBase(base.get(sessionId)),
        tokenStoredBytes: async (ownerId) => tokenBytes.get(ownerId)!.total,
      };
    }
    case "postgresql": {
      const pool = driver.pool;
      // timestamp(3) has no zone: read as epoch ms, the driver would take it for local time.
      const rowsSql = REPLAY_ROWS_SQL(`(EXTRACT(EPOCH FROM "createdAt") * 1000)::float8`);
      return {
        eventRanges: async (sessionId, fromSeq, take) => (await pool.query<EventRange>(EVENT_RANGES_SQL, [sessionId, fromSeq, take])).rows,
        eventTexts: async (sessionId, fromEventsTo, toEventsTo) => eventTextsByIndex((await pool.query<RawEventTexts>(EVENT_TEXTS_SQL, [sessionId, fromEventsTo, toEventsTo])).rows),
        replayRows: async (sessionId) => (await pool.query<RawReplayRow>(rowsSql, [sessionId])).rows.map(replayRow),
        replayBase: async (sessionId) => replayBase((await pool.query<RawReplayBase>(REPLAY_BASE_SQL, [sessionId])).rows[0]),
        tokenStoredBytes: async (ownerId) => Number((await pool.query<{ total: string }>(TOKEN_BYTES_SQL, [ownerId])).rows[0]!.total),
      };
    }
    default:
      return driver satisfies never;
  }
}
