/**
 * Sessions and their command logs in the database. The client is a parameter
 * (no module-level client). Nothing here runs the engine or keeps state: the
 * session manager decides what to write, this decides how.
 *
 * Virtual times are BigInt columns (µs overflow a 32-bit Int after 35
 * minutes); they cross this boundary as plain numbers, exact up to 2^53 µs.
 */
import type { PrismaClient } from "../db/prisma-client.js";
import type { EngineLimits, Interruption, TopologySpec } from "../engine/index.js";

export interface SessionRow {
  id: string;
  labId: string;
  ownerId: string;
  ownerName: string;
  seed: number;
  startTime: number;
  commandCount: number;
  nextSeq: number;
  createdAt: Date;
  updatedAt: Date;
  lastCommandAt: Date | null;
  /** Bytes of the session's stored command rows (outputs and events), kept by the append trigger. */
  storedBytes: number;
  /** When an instructor archived it (read-only from then on); null if not archived. */
  archivedAt: Date | null;
}

/** One command as the log keeps it (without its events). */
export interface CommandRow {
  index: number;
  host: string;
  namespace: string | null;
  command: string;
  output: string;
  exitCode: number;
  at: number;
  eventsFrom: number;
  eventsTo: number;
  /** Where a limit stopped it, so a replay stops it at the same step; null when it ran to its end. */
  interruption: Interruption | null;
  createdAt: Date;
}

/** What a replay needs of one command. */
export type ReplayRow = Pick<CommandRow, "index" | "host" | "namespace" | "command" | "at" | "eventsTo" | "createdAt" | "interruption">;

export type NewCommand = CommandRow & {
  /** The events as stored: compact chunks, each deflated, behind an index (simulator/stored-trace.ts). */
  events: Uint8Array;
};

const interruptionOf = (text: string | null): Interruption | null => (text === null ? null : (JSON.parse(text) as Interruption));

/**
 * Log order, spelt the way the (sessionId, eventsTo, index) index is: eventsTo
 * never decreases along the log, so this is index order, read without a sort.
 */
const LOG_ORDER: Array<{ eventsTo: "asc" } | { index: "asc" }> = [{ eventsTo: "asc" }, { index: "asc" }];

const sessionSelect = {
  id: true,
  labId: true,
  ownerId: true,
  seed: true,
  startTime: true,
  commandCount: true,
  nextSeq: true,
  createdAt: true,
  updatedAt: true,
  lastCommandAt: true,
  storedBytes: true,
  archivedAt: true,
  owner: { select: { name: true } },
} as const;

type SelectedSession = {
  id: string;
  labId: string;
  ownerId: string;
  seed: number;
  startTime: bigint;
  commandCount: number;
  nextSeq: number;
  createdAt: Date;
  updatedAt: Date;
  lastCommandAt: Date | null;
  storedBytes: number;
  archivedAt: Date | null;
  owner: { name: string };
};

function toSessionRow(row: SelectedSession): SessionRow {
  const { owner, startTime, ...rest } = row;
  return { ...rest, startTime: Number(startTime), ownerName: owner.name };
}

export async function findSession(prisma: PrismaClient, id: string): Promise<SessionRow | null> {
  const row = await prisma.session.findUnique({ where: { id }, select: sessionSelect });
  return row === null ? null : toSessionRow(row);
}

export interface SessionQuery {
  ownerId?: string;
  labId?: string;
  limit: number;
  offset: number;
}

/** Newest first. */
export async function listSessions(prisma: PrismaClient, query: SessionQuery): Promise<{ sessions: SessionRow[]; total: number }> {
  const where = {
    ...(query.ownerId === undefined ? {} : { ownerId: query.ownerId }),
    ...(query.labId === undefined ? {} : { labId: query.labId }),
  };
  const [rows, total] = await prisma.$transaction([
    prisma.session.findMany({ where, select: sessionSelect, orderBy: [{ createdAt: "desc" }, { id: "asc" }], take: query.limit, skip: query.offset }),
    prisma.session.count({ where }),
  ]);
  return { sessions: rows.map(toSessionRow), total };
}

/** Deletes the session and its log; false when there was none. */
export async function deleteSession(prisma: PrismaClient, id: string): Promise<boolean> {
  const { count } = await prisma.session.deleteMany({ where: { id } });
  return count > 0;
}

export interface ReplayBase {
  topology: TopologySpec;
  seed: number;
  startTime: number;
  limits: EngineLimits;
  ownerId: string;
  storedBytes: number;
}

/** A page of the log from command `fromIndex`. */
export async function commandPage(prisma: PrismaClient, sessionId: string, fromIndex: number, limit: number): Promise<CommandRow[]> {
  const rows = await prisma.sessionCommand.findMany({
    where: { sessionId, index: { gte: fromIndex } },
    orderBy: LOG_ORDER,
    take: limit,
    select: { index: true, host: true, namespace: true, command: true, output: true, exitCode: true, at: true, eventsFrom: true, eventsTo: true, interruption: true, createdAt: true },
  });
  return rows.map((row) => ({ ...row, at: Number(row.at), interruption: interruptionOf(row.interruption) }));
}
