/**
 * A new session's two statements, reading the lab it starts from and
 * inserting its row, through the database driver instead of Prisma (the
 * reason log-reads.ts gives: Prisma 6 compiles each query in WebAssembly on
 * the thread that answers requests). A class starts together: sixty students
 * opening the lab in the same second made a hundred and twenty Prisma
 * queries, and under the load test they were most of that thread's work in
 * the first seconds, when `/health` waited longest.
 *
 * The row is written as Prisma writes it (DateTime as ISO 8601 text with
 * +00:00 on SQLite, UTC in a timestamp column on PostgreSQL; the counters at
 * their column defaults), so Prisma reads it back like its own; the test holds
 * the answer to Prisma's reading of the row on both databases.
 */
import type { DatabaseDriver } from "../db/prisma-client.js";
import type { EngineLimits, TopologySpec } from "../engine/index.js";
import { prismaDateTime } from "./command-writer.js";
import type { SessionRow } from "./session-repository.js";
import { outsidePrismaTransaction, sqlitePlaceholders } from "../db/sqlite-statements.js";

export interface NewSession {
  id: string;
  labId: string;
  labContentHash: string;
  topology: TopologySpec;
  seed: number;
  startTime: number;
  ownerId: string;
  limits: EngineLimits;
}

export interface LabSource {
  /** The lab file as validated, JSON. */
  definition: string;
  contentHash: string;
}

export interface SessionInserts {
  /** The lab a session starts from; null when there is none by that id. */
  lab(labId: string): Promise<LabSource | null>;
  /** Writes the session's row and gives it back as a read would: its owner is named `ownerName`. */
  insert(session: NewSession, ownerName: string, now: Date): Promise<SessionRow>;
}

const LAB_SQL = `SELECT "definition", "contentHash" FROM "Lab" WHERE "id" = $1`;
const COLUMNS = ["id", "labId", "labContentHash", "topology", "seed", "startTime", "ownerId", "limits", "createdAt", "updatedAt"];
const INSERT_SQL = `INSERT INTO "Session" (${COLUMNS.map((c) => `"${c}"`).join(", ")}) VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(", ")})`;

/** The row's values in COLUMNS order; the times as the database's driver takes them. */
function values(s: NewSession, time: string): unknown[] {
  return [s.id, s.labId, s.labContentHash, JSON.stringify(s.topology), s.seed, s.startTime, s.ownerId, JSON.stringify(s.limits), time, time];
}

/** The new row as a read gives it: the counters at their defaults, never used, never archived. */
function newRow(s: NewSession, ownerName: string, now: Date): SessionRow {
  return {
    id: s.id,
    labId: s.labId,
    ownerId: s.ownerId,
    ownerName,
    seed: s.seed,
    startTime: s.startTime,
    commandCount: 0,
    nextSeq: 0,
    createdAt: now,
    updatedAt: now,
    lastCommandAt: null,
    storedBytes: 0,
    archivedAt: null,
  };
}

export function sessionInserts(driver: DatabaseDriver): SessionInserts {
  switch (driver.kind) {
    case "sqlite": {
      const lab = driver.connection.prepare<[string], LabSource>(sqlitePlaceholders(LAB_SQL));
      const insert = driver.connection.prepare(sqlitePlaceholders(INSERT_SQL));
      return {
        lab: async (labId) => lab.get(labId) ?? null,
        insert: async (session, ownerName, now) => {
          await outsidePrismaTransaction(driver.connection);
          insert.run(...values(session, prismaDateTime(now)));
          return newRow(session, ownerName, now);
        },
      };
    }
    case "postgresql": {
      const pool = driver.pool;
      return {
        lab: async (labId) => (await pool.query<LabSource>(LAB_SQL, [labId])).rows[0] ?? null,
        insert: async (session, ownerName, now) => {
          // A timestamp column ignores the zone in its text: the UTC time is stored, as Prisma stores it.
          await pool.query(INSERT_SQL, values(session, now.toISOString()));
          return newRow(session, ownerName, now);
        },
      };
    }
    default:
      return driver satisfies never;
  }
}
