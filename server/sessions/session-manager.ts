/**
 * Sessions as event-sourced engines. The database holds, per session, the
 * topology it started from, its seed and start time, and the log of every
 * accepted command with its output, exit code, virtual time and events; the
 * engine in memory is only a cache of replaying that log, dropped when idle
 * (SessionRegistry) and rebuilt on next use.
 *
 * A command is acknowledged only once its row is committed: it runs in the
 * session's queue (one at a time per session), its row and the session's
 * counters are written in one transaction, subscribers hear its events, and
 * only then does the caller get its answer. If the write fails, the engine in
 * memory is ahead of the log, so it is dropped (the next use rebuilds it from
 * the log) and the caller gets a 500: nothing unlogged is ever acknowledged.
 *
 * It implements SessionService (session-service.ts) for the trace stream and
 * pcap export. It knows nothing of HTTP beyond throwing HttpError.
 */
import { randomInt, randomUUID } from "node:crypto";
import type { FastifyBaseLogger } from "fastify";
import type { Principal } from "../auth/principal.js";
import type { PrismaClient, SqliteConnection } from "../db/prisma-client.js";
import { Engine } from "../engine/engine.js";
import type { NetworkState } from "../engine/state/snapshot.js";
import type { TopologySpec } from "../engine/topology/topology-schema.js";
import { serializeEvent } from "../engine/trace/serialize-event.js";
import type { TraceEvent } from "../engine/trace/trace-event.js";
import { HttpError } from "../http/http-error.js";
import type { LabFile } from "../labs/lab-schema.js";
import { CommandLog } from "./command-log.js";
import { replaySession } from "./replay.js";
import { SessionRegistry } from "./session-registry.js";
import { sqliteCommandWriter } from "./command-writer.js";
import {
  commandPage,
  deleteSession,
  eventRows,
  findReplayBase,
  findSession,
  insertSession,
  listSessions,
  replayRows,
  type CommandRow,
  type SessionRow,
} from "./session-repository.js";
import type { ReplayInputs, SessionListener, SessionRecord, SessionService } from "./session-service.js";
import { nextCommandTime, type PreviousCommand } from "./virtual-clock.js";

export interface SessionManagerOptions {
  /** Seconds before an unused engine is dropped from memory. */
  idleSeconds: number;
  /** Engines kept in memory at once. */
  maxLive: number;
  log: FastifyBaseLogger;
  /** Prisma's SQLite connection, for writing the command log (command-writer.ts). */
  connection: SqliteConnection;
  /** Wall clock, ms since the epoch; injectable for tests. */
  now?: () => number;
}

/** A session's engine in memory, and where its log stands. */
interface LiveSession {
  engine: Engine;
  startTime: number;
  /** Index the next command gets. */
  nextIndex: number;
  /** The last logged command, for the virtual clock. */
  last: PreviousCommand | null;
}

export interface CommandInput {
  host: string;
  namespace?: string | undefined;
  command: string;
}

export interface CommandOutcome {
  index: number;
  output: string;
  exitCode: number;
  /** Seqs of the events the command caused: [from, to). */
  events: { from: number; to: number };
  /** Virtual time it was typed at, and when it (and the network) settled, µs. */
  at: number;
  time: number;
}

export interface EventFilter {
  host?: string | undefined;
  device?: string | undefined;
  kind?: string | undefined;
}

export interface EventPage {
  /** The events as a JSON array text (stored JSON, not re-serialised). */
  eventsJson: string;
  count: number;
  /** The `from` to ask for next. */
  next: number;
  /** Events stored in the session so far. */
  nextSeq: number;
}

/** At most this many stored events are looked at for one filtered page, so a rare filter cannot scan a whole long session. */
const MAX_SCANNED_EVENTS = 50_000;
const ROWS_PER_READ = 64;
const RECORD_CACHE_LIMIT = 50_000;
/** Rows written in one transaction at most. */
const MAX_COMMAND_GROUP = 256;

export class SessionManager implements SessionService {
  private readonly registry: SessionRegistry<LiveSession>;
  private readonly records = new Map<string, SessionRecord>();
  private readonly listeners = new Map<string, Set<SessionListener>>();
  private readonly deleteListeners = new Map<string, Set<() => void>>();
  private readonly now: () => number;
  private readonly log: FastifyBaseLogger;
  private readonly commandLog: CommandLog;

  constructor(
    private readonly prisma: PrismaClient,
    options: SessionManagerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log;
    this.commandLog = new CommandLog(sqliteCommandWriter(options.connection), MAX_COMMAND_GROUP);
    this.registry = new SessionRegistry<LiveSession>({
      idleMs: options.idleSeconds * 1000,
      maxLive: options.maxLive,
      now: this.now,
      onEvict: (id, reason) => this.log.debug({ sessionId: id, reason }, "session engine dropped from memory"),
    });
  }

  /** Engines in memory now. */
  get liveCount(): number {
    return this.registry.size;
  }

  isLive(id: string): boolean {
    return this.registry.peek(id) !== undefined;
  }

  /** Drops idle engines now instead of at the next timer tick. */
  sweep(): void {
    this.registry.sweep();
  }

  /** Waits for rows being written, then stops the idle sweep. */
  async close(): Promise<void> {
    await this.commandLog.flushed();
    this.registry.close();
    this.listeners.clear();
  }

  // ── Sessions ────────────────────────────────────────────────────────────

  async create(principal: Principal, labId: string): Promise<SessionRow> {
    const lab = await this.prisma.lab.findUnique({ where: { id: labId }, select: { definition: true, contentHash: true } });
    if (lab === null) throw new HttpError(404, "LAB_NOT_FOUND", `No lab with id "${labId}"`);
    const topology = (JSON.parse(lab.definition) as LabFile).topology as TopologySpec;
    const seed = randomInt(1, 2 ** 31 - 1);
    const startTime = 0;
    // Built before the row is written: a lab the engine cannot build never gets a session.
    const engine = Engine.create(topology, { seed, startTime });
    if (!(engine instanceof Engine)) {
      this.log.error({ labId, issues: engine.issues }, "a stored lab's topology does not build");
      throw new HttpError(500, "LAB_NOT_BUILDABLE", `Lab "${labId}" has a topology the simulator cannot build`);
    }
    const id = randomUUID();
    const row = await insertSession(this.prisma, { id, labId, labContentHash: lab.contentHash, topology, seed, startTime, ownerId: principal.id });
    this.remember(row);
    this.registry.set(id, { engine, startTime, nextIndex: 0, last: null });
    return row;
  }

  async list(principal: Principal, filter: { labId?: string; ownerId?: string; limit: number; offset: number }) {
    if (principal.role !== "instructor") {
      // A student sees their own sessions; asking for someone else's gives nothing.
      if (filter.ownerId !== undefined && filter.ownerId !== principal.id) return { sessions: [], total: 0 };
      return listSessions(this.prisma, { ...filter, ownerId: principal.id });
    }
    return listSessions(this.prisma, filter);
  }

  /** The session's row as stored now (counters included); authorize first. */
  async get(id: string): Promise<SessionRow> {
    const row = await findSession(this.prisma, id);
    if (row === null) throw notFound(id);
    return row;
  }

  async delete(id: string): Promise<void> {
    await this.registry.enqueue(id, async () => {
      const deleted = await deleteSession(this.prisma, id);
      this.registry.delete(id);
      this.records.delete(id);
      if (!deleted) throw notFound(id);
      this.listeners.delete(id);
      const ended = this.deleteListeners.get(id);
      this.deleteListeners.delete(id);
      for (const listener of ended ?? []) listener();
    });
  }

  // ── Commands ────────────────────────────────────────────────────────────

  /**
   * Runs one command and logs it before answering. An unknown host or
   * namespace is refused before anything runs (nothing is logged); a command
   * the simulated shell rejects is logged like any other: the student typed it.
   */
  runCommand(id: string, input: CommandInput): Promise<CommandOutcome> {
    return this.registry.enqueue(id, async () => {
      const live = await this.ensureLive(id);
      const { engine } = live;
      if (!engine.hostNames().includes(input.host)) {
        throw new HttpError(404, "UNKNOWN_HOST", `This lab has no host "${input.host}" (hosts: ${engine.hostNames().join(", ")})`);
      }
      if (input.namespace !== undefined && !engine.namespaceNames(input.host).includes(input.namespace)) {
        throw new HttpError(
          404,
          "UNKNOWN_NAMESPACE",
          `Host "${input.host}" has no namespace "${input.namespace}" (it has: ${engine.namespaceNames(input.host).join(", ")})`,
        );
      }

      const wallMs = this.now();
      const at = nextCommandTime(engine.now, live.last, live.startTime, wallMs);
      const eventsFrom = engine.nextSeq;
      let result;
      try {
        result = engine.run({ host: input.host, namespace: input.namespace, command: input.command, at });
      } catch (err) {
        // The engine may be half-way through a change: rebuild it from the log next time.
        this.registry.delete(id, live);
        throw err;
      }
      const eventsTo = engine.nextSeq;
      const index = live.nextIndex;

      try {
        await this.commandLog.append(id, {
          index,
          host: input.host,
          namespace: input.namespace ?? null,
          command: input.command,
          output: result.output,
          exitCode: result.exitCode,
          at,
          eventsFrom,
          eventsTo,
          events: eventsJson(result.events),
          createdAt: new Date(wallMs),
        });
      } catch (err) {
        this.registry.delete(id, live);
        this.log.error({ err, sessionId: id, index }, "a command ran but its log row could not be written; the engine was dropped");
        throw new HttpError(500, "COMMAND_NOT_RECORDED", "The command could not be recorded, so it did not happen; send it again");
      }
      live.nextIndex = index + 1;
      live.last = { at, wallMs };
      if (result.events.length > 0) this.notify(id, result.events);
      return { index, output: result.output, exitCode: result.exitCode, events: { from: eventsFrom, to: eventsTo }, at, time: result.time };
    });
  }

  async commands(id: string, fromIndex: number, limit: number): Promise<CommandRow[]> {
    return commandPage(this.prisma, id, fromIndex, limit);
  }

  async state(id: string): Promise<NetworkState> {
    return this.registry.enqueue(id, async () => (await this.ensureLive(id)).engine.state());
  }

  // ── Events ──────────────────────────────────────────────────────────────

  /**
   * A page of the stored trace from seq `from`: at most `limit` events that
   * pass the filter. Rows that lie wholly inside an unfiltered page are
   * spliced in as stored, without parsing.
   */
  async eventsPage(id: string, from: number, limit: number, filter: EventFilter): Promise<EventPage> {
    const total = await this.nextSeq(id);
    const filtered = filter.host !== undefined || filter.device !== undefined || filter.kind !== undefined;
    const parts: string[] = [];
    let count = 0;
    let cursor = from;
    let scanned = 0;

    scan: while (count < limit && cursor < total && scanned < MAX_SCANNED_EVENTS) {
      const rows = await eventRows(this.prisma, id, cursor, ROWS_PER_READ);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.eventsTo === row.eventsFrom) continue;
        const size = row.eventsTo - row.eventsFrom;
        if (!filtered && row.eventsFrom >= cursor && count + size <= limit) {
          parts.push(row.events.slice(1, -1));
          count += size;
          cursor = row.eventsTo;
          scanned += size;
          continue;
        }
        for (const event of JSON.parse(row.events) as TraceEvent[]) {
          if (event.seq < cursor) continue;
          cursor = event.seq + 1;
          scanned++;
          if (!matches(event, filter)) continue;
          parts.push(serializeEvent(event));
          count++;
          if (count >= limit) break scan;
        }
        cursor = Math.max(cursor, row.eventsTo);
        if (scanned >= MAX_SCANNED_EVENTS) break scan;
      }
    }
    return { eventsJson: `[${parts.join(",")}]`, count, next: Math.min(cursor, total), nextSeq: total };
  }

  // ── SessionService ──────────────────────────────────────────────────────

  async authorize(principal: Principal, id: string): Promise<SessionRecord> {
    const record = this.records.get(id) ?? (await this.loadRecord(id));
    return permitted(principal, record);
  }

  /**
   * authorize() without a promise when the session was seen lately (the
   * command path's case); undefined when it must be read from the database.
   */
  authorizeCached(principal: Principal, id: string): SessionRecord | undefined {
    const record = this.records.get(id);
    return record === undefined ? undefined : permitted(principal, record);
  }

  private async loadRecord(id: string): Promise<SessionRecord> {
    const row = await findSession(this.prisma, id);
    if (row === null) throw notFound(id);
    return this.remember(row);
  }

  async eventsSince(id: string, fromSeq: number, limit: number): Promise<TraceEvent[]> {
    const events: TraceEvent[] = [];
    let cursor = Math.max(0, fromSeq);
    while (events.length < limit) {
      const rows = await eventRows(this.prisma, id, cursor, ROWS_PER_READ);
      if (rows.length === 0) break;
      for (const row of rows) {
        if (row.eventsTo === row.eventsFrom) continue;
        for (const event of JSON.parse(row.events) as TraceEvent[]) {
          if (event.seq < cursor) continue;
          events.push(event);
          if (events.length >= limit) return events;
        }
        cursor = row.eventsTo;
      }
    }
    return events;
  }

  subscribe(id: string, listener: SessionListener): () => void {
    let set = this.listeners.get(id);
    if (set === undefined) this.listeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      const current = this.listeners.get(id);
      if (current === undefined) return;
      current.delete(listener);
      if (current.size === 0) this.listeners.delete(id);
    };
  }

  onDelete(id: string, listener: () => void): () => void {
    let set = this.deleteListeners.get(id);
    if (set === undefined) this.deleteListeners.set(id, (set = new Set()));
    set.add(listener);
    return () => {
      const current = this.deleteListeners.get(id);
      current?.delete(listener);
      if (current?.size === 0) this.deleteListeners.delete(id);
    };
  }

  async nextSeq(id: string): Promise<number> {
    const row = await this.prisma.session.findUnique({ where: { id }, select: { nextSeq: true } });
    if (row === null) throw notFound(id);
    return row.nextSeq;
  }

  async replayInputs(id: string): Promise<ReplayInputs> {
    const base = await findReplayBase(this.prisma, id);
    if (base === null) throw notFound(id);
    const rows = await replayRows(this.prisma, id);
    return {
      ...base,
      commands: rows.map((row) => ({ host: row.host, namespace: row.namespace ?? undefined, command: row.command, at: row.at })),
    };
  }

  // ── Internals ───────────────────────────────────────────────────────────

  /** The session's engine, rebuilt from the log when not in memory. Call inside the session's queue. */
  private async ensureLive(id: string): Promise<LiveSession> {
    const cached = this.registry.get(id);
    if (cached !== undefined) return cached;

    const base = await findReplayBase(this.prisma, id);
    if (base === null) throw notFound(id);
    const rows = await replayRows(this.prisma, id);
    const started = performance.now();
    const outcome = replaySession(base.topology, base.seed, base.startTime, rows);
    if (outcome.kind === "invalid-topology") {
      this.log.error({ sessionId: id, issues: outcome.message }, "a session's stored topology does not build");
      throw new HttpError(500, "SESSION_NOT_BUILDABLE", "This session's network cannot be rebuilt");
    }
    const last = rows.at(-1);
    const expected = last?.eventsTo ?? 0;
    if (outcome.divergedAt !== null || outcome.engine.nextSeq !== expected) {
      this.log.warn(
        { sessionId: id, divergedAt: outcome.divergedAt, expectedNextSeq: expected, actualNextSeq: outcome.engine.nextSeq },
        "a replayed session produced another trace than its log: the simulator changed since the commands ran",
      );
    }
    this.log.debug({ sessionId: id, commands: rows.length, ms: Math.round(performance.now() - started) }, "session rebuilt from its log");
    const live: LiveSession = {
      engine: outcome.engine,
      startTime: base.startTime,
      nextIndex: rows.length,
      last: last === undefined ? null : { at: last.at, wallMs: last.createdAt.getTime() },
    };
    this.registry.set(id, live);
    return live;
  }

  private remember(row: SessionRow): SessionRecord {
    const record: SessionRecord = { id: row.id, labId: row.labId, ownerId: row.ownerId, ownerName: row.ownerName, createdAt: row.createdAt };
    if (this.records.size >= RECORD_CACHE_LIMIT) this.records.clear();
    this.records.set(row.id, record);
    return record;
  }

  private notify(id: string, events: TraceEvent[]): void {
    const set = this.listeners.get(id);
    if (set === undefined) return;
    for (const listener of [...set]) {
      try {
        listener(events);
      } catch (err) {
        this.log.error({ err, sessionId: id }, "a trace subscriber failed");
      }
    }
  }
}

function permitted(principal: Principal, record: SessionRecord): SessionRecord {
  if (principal.role !== "instructor" && record.ownerId !== principal.id) {
    throw new HttpError(403, "FORBIDDEN", "This session belongs to another student");
  }
  return record;
}

function notFound(id: string): HttpError {
  return new HttpError(404, "SESSION_NOT_FOUND", `No session with id "${id}"`);
}

function eventsJson(events: readonly TraceEvent[]): string {
  if (events.length === 0) return "[]";
  let text = "[";
  for (let i = 0; i < events.length; i++) text += (i === 0 ? "" : ",") + serializeEvent(events[i]!);
  return `${text}]`;
}

function matches(event: TraceEvent, filter: EventFilter): boolean {
  return (
    (filter.host === undefined || event.host === filter.host) &&
    (filter.device === undefined || event.device === filter.device) &&
    (filter.kind === undefined || event.kind === filter.kind)
  );
}

