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
 * The engines themselves live in the simulator's worker threads
 * (server/simulator/engine-pool.ts): this thread only routes a session's
 * requests to the worker that holds it, writes the log and tells
 * subscribers. A session whose worker restarted is rebuilt on next use.
 *
 * Storage quotas: a session, and all of one token's sessions together, may
 * store so many bytes of log; a command that starts under the quota is
 * completed and stored, the next one is refused (409 STORAGE_QUOTA_EXCEEDED).
 * A token's total is the database's (the sum of its sessions' counters, which
 * the command log's trigger moves): alone, read once and then kept up to date
 * by this instance's commands; with other instances on the database, read
 * before every command, so a token's sessions on several instances add up.
 *
 * It implements SessionService (session-service.ts) for the trace stream and
 * pcap export. It knows nothing of HTTP beyond throwing HttpError.
 */
import { randomInt, randomUUID } from "node:crypto";
import { setTimeout as sleep, setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { FastifyBaseLogger } from "fastify";
import type { Principal } from "../auth/principal.js";
import type { DatabaseDriver, PrismaClient } from "../db/prisma-client.js";
import {
  splitEventsText,
  validateTopology,
  type EventSelector,
  type EventText,
  type CaptureReply,
  type DeviceSelection,
  type Interruption,
  type NetworkState,
  type ReplayInputs,
  type TopologySpec,
} from "../engine/index.js";
import { HttpError } from "../http/http-error.js";
import type { LabFile } from "../labs/lab-schema.js";
import { EnginePool, WorkerCrashed, WorkerRequestError, defaultPoolSize } from "../simulator/engine-pool.js";
import { DEFAULT_SIMULATOR_CONFIG, type SimulatorConfig } from "../simulator/simulator-config.js";
import { liveChunkIndexes, readChunk, readChunkIndex } from "../simulator/stored-trace.js";
import { CommandLog } from "./command-log.js";
import { ALONE, sessionMoved, type SessionOwnership } from "./session-ownership.js";
import { SessionRegistry } from "./session-registry.js";
import { FrameReader, type EventFrame } from "./frame-reader.js";
import { StoredEvents } from "./stored-events.js";
import { logReads, type LogReads } from "./log-reads.js";
import { sessionInserts, type SessionInserts } from "./session-inserts.js";
import { commandWriter } from "./command-writer.js";
import {
  commandPage,
  deleteSession,
  findSession,
  listSessions,
  type CommandRow,
  type ReplayBase,
  type ReplayRow,
  type SessionRow,
} from "./session-repository.js";
import type { SessionListener, SessionRecord, SessionService, StreamEvent } from "./session-service.js";
import { nextCommandTime, type PreviousCommand } from "./virtual-clock.js";

export interface SessionManagerOptions {
  /** Seconds before an unused engine is dropped from memory. */
  idleSeconds: number;
  /** Engines kept in memory at once. */
  maxLive: number;
  log: FastifyBaseLogger;
  /** The driver under Prisma, for writing the command log (command-writer.ts) and reading stored events. */
  database: DatabaseDriver;
  /** Wall clock, ms since the epoch; injectable for tests. */
  now?: () => number;
  /** Workers, budgets, limits and quotas (the defaults when absent). */
  simulator?: SimulatorConfig;
}

/** A session's engine in a worker, and where its log stands. */
interface LiveSession {
  /** The worker holding the engine (a restarted worker has none of its sessions: they are dropped then). */
  worker: number;
  startTime: number;
  /** Index the next command gets. */
  nextIndex: number;
  /** The last logged command, for the virtual clock. */
  last: PreviousCommand | null;
  /** The engine's virtual time after its last command, µs. */
  engineNow: number;
  ownerId: string;
  /** Bytes the session's log stores. */
  storedBytes: number;
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
  /** Set when a limit stopped the command before its end. */
  interruption: Interruption | null;
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
/** The most bytes of events one page of GET /events holds (a page of 5,000 large events would be tens of MB). */
const MAX_PAGE_BYTES = 2 * 1024 * 1024;
const RECORD_CACHE_LIMIT = 50_000;
/** Rows written in one transaction at most. */
const MAX_COMMAND_GROUP = 256;

/** How long a shutdown waits for the commands running (the process gives its whole shutdown 10 s). */
const CLOSE_GRACE_MS = 6_000;

export class SessionManager implements SessionService {
  private readonly registry: SessionRegistry<LiveSession>;
  private readonly records = new Map<string, SessionRecord>();
  private readonly listeners = new Map<string, Set<SessionListener>>();
  private readonly deleteListeners = new Map<string, Set<() => void>>();
  private readonly now: () => number;
  private readonly log: FastifyBaseLogger;
  private readonly commandLog: CommandLog;
  private readonly storedEvents: StoredEvents;
  /** The log's reads that replays make, through the driver (log-reads.ts). */
  private readonly reads: LogReads;
  private readonly inserts: SessionInserts;
  private readonly frames: FrameReader;
  private readonly pool: EnginePool;
  private readonly simulator: SimulatorConfig;
  /** Bytes stored per token, read once per token and kept up to date by this process's commands (alone; shared, read each time). */
  private readonly tokenBytes = new Map<string, number>();
  private copies = 0;
  /** Which sessions this instance may run, and who hears of its commits (session-ownership.ts); alone by default. */
  private ownership: SessionOwnership = ALONE;
  /** Per watched session: resolves once other instances' commits reach this one (store reads wait for it). */
  private readonly watching = new Map<string, Promise<void>>();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly prisma: PrismaClient,
    options: SessionManagerOptions,
  ) {
    this.now = options.now ?? Date.now;
    this.log = options.log;
    this.simulator = options.simulator ?? DEFAULT_SIMULATOR_CONFIG;
    this.commandLog = new CommandLog(commandWriter(options.database), MAX_COMMAND_GROUP);
    this.reads = logReads(options.database);
    this.inserts = sessionInserts(options.database);
    this.storedEvents = new StoredEvents(this.reads);
    this.frames = new FrameReader(
      async (id, seq) => (await this.reads.eventRanges(id, seq, 1))[0]?.index ?? null,
      (id) => this.replayInputs(id),
      (inputs, index) => this.pool.request<"frames">(this.pool.pick(), { type: "frames", inputs, index }),
    );
    this.registry = new SessionRegistry<LiveSession>({
      idleMs: options.idleSeconds * 1000,
      maxLive: options.maxLive,
      now: this.now,
      onEvict: (id, reason, live) => {
        this.pool.notify(live.worker, { type: "drop", session: id });
        this.ownership.released(id);
        this.log.debug({ sessionId: id, reason }, "session engine dropped from memory");
      },
    });
    this.pool = new EnginePool({
      size: this.simulator.workers === 0 ? defaultPoolSize() : this.simulator.workers,
      memoryMb: this.simulator.workerMemoryMb,
      youngMb: this.simulator.workerYoungMb,
      nice: this.simulator.workerNice,
      onRestart: (worker, reason) => {
        this.log.error({ worker, reason }, "a simulator worker stopped and was started again; its sessions will be rebuilt from their logs");
        this.registry.deleteWhere((live) => live.worker === worker);
      },
    });
  }

  /** Engines in memory now. */
  get liveCount(): number {
    return this.registry.size;
  }

  /** Requests waiting on or running in each simulator worker (engine-pool.ts), for /metrics. */
  workerQueueDepths(): number[] {
    return this.pool.queueDepths();
  }

  isLive(id: string): boolean {
    return this.registry.peek(id) !== undefined;
  }

  /** Forgets what is cached of a session's row (after archiving it), so the next request reads it again. */
  invalidate(id: string): void {
    this.records.delete(id);
    this.ownership.invalidated(id);
  }

  // ── Other instances (server/cluster) ────────────────────────────────────

  /** Runs sessions under `ownership` from now on (set once, at start, before any session is used). */
  useOwnership(ownership: SessionOwnership): void {
    this.ownership = ownership;
  }

  /** Sessions whose engines are in memory here. */
  liveSessionIds(): string[] {
    return this.registry.ids();
  }

  /** Sessions someone here watches the trace of. */
  watchedSessionIds(): string[] {
    return [...this.listeners.keys()];
  }

  /** Drops the session's engine (this instance lost it to another): the next use here rebuilds it from the log. */
  drop(id: string): void {
    this.registry.delete(id);
  }

  /** Builds the session's engine now, in its queue (taking over a session whose instance died). */
  async adopt(id: string): Promise<void> {
    await this.registry.enqueue(id, () => this.ensureLive(id));
  }

  /** Events another instance committed, for the watchers here, in seq order. */
  deliver(id: string, events: readonly StreamEvent[]): void {
    if (events.length > 0) this.notify(id, events);
  }

  /** Another instance deleted the session or changed its row: forget it here as a delete or an archive here would. */
  applyRemoteChange(id: string, change: "deleted" | "invalidated"): void {
    this.records.delete(id);
    if (change === "invalidated") return;
    this.registry.delete(id);
    this.forgetDeleted(id);
  }

  /** Drops idle engines now instead of at the next timer tick. */
  sweep(): void {
    this.registry.sweep();
  }

  /**
   * Lets the commands running finish (for up to CLOSE_GRACE_MS) and their
   * rows be written, refusing what was queued behind them (503 SHUTTING_DOWN),
   * lets every session go (other instances may take them), then stops the idle
   * sweep and the workers.
   */
  close(): Promise<void> {
    // Idempotent: the cluster plugin closes the sessions before giving their leases back, then the sessions plugin's hook runs.
    this.closing ??= (async () => {
      await Promise.race([this.registry.settled(), sleep(Math.min(this.simulator.budget.wallMs, CLOSE_GRACE_MS), undefined, { ref: false })]);
      await this.commandLog.flushed();
      this.registry.deleteWhere(() => true);
      this.registry.close();
      this.listeners.clear();
      await this.pool.close();
    })();
    return this.closing;
  }

  // ── Sessions ────────────────────────────────────────────────────────────

  async create(principal: Principal, labId: string): Promise<SessionRow> {
    const lab = await this.inserts.lab(labId);
    if (lab === null) throw new HttpError(404, "LAB_NOT_FOUND", `No lab with id "${labId}"`);
    const topology = (JSON.parse(lab.definition) as LabFile).topology as TopologySpec;
    const seed = randomInt(1, 2 ** 31 - 1);
    const startTime = 0;
    const limits = this.simulator.limits;
    // Checked before the row is written: a lab the engine cannot build never gets a session.
    const issues = validateTopology(topology);
    if (issues.length > 0) {
      this.log.error({ labId, issues }, "a stored lab's topology does not build");
      throw new HttpError(500, "LAB_NOT_BUILDABLE", `Lab "${labId}" has a topology the simulator cannot build`);
    }
    const id = randomUUID();
    const row = await this.inserts.insert({ id, labId, labContentHash: lab.contentHash, topology, seed, startTime, ownerId: principal.id, limits }, principal.name, new Date(this.now()));
    this.remember(row);
    // Its network is built in a worker now, so the first command finds it ready.
    await this.registry.enqueue(id, () => this.ensureLive(id, true));
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
      if (!deleted) {
        this.storedEvents.forget(id);
        this.frames.forget(id);
        this.tokenBytes.clear();
        throw notFound(id);
      }
      this.forgetDeleted(id);
      this.ownership.deleted(id);
    });
  }

  /** What stays of a deleted session here: nothing; its trace streams end. */
  private forgetDeleted(id: string): void {
    this.storedEvents.forget(id);
    this.frames.forget(id);
    // Its bytes no longer count for its token: read the total again when next needed.
    this.tokenBytes.clear();
    this.listeners.delete(id);
    if (this.watching.delete(id)) this.ownership.unwatch(id);
    const ended = this.deleteListeners.get(id);
    this.deleteListeners.delete(id);
    for (const listener of ended ?? []) listener();
  }

  // ── Commands ────────────────────────────────────────────────────────────

  /**
   * Runs one command and logs it before answering. An unknown host or
   * namespace is refused before anything runs (nothing is logged); a command
   * the simulated shell rejects is logged like any other: the student typed it.
   */
  runCommand(id: string, input: CommandInput): Promise<CommandOutcome> {
    return this.registry.enqueue(id, async () => {
      const record = this.records.get(id);
      if (record?.archivedAt != null) {
        throw new HttpError(409, "SESSION_ARCHIVED", "This session is archived: it can be read, but it runs no more commands");
      }
      const live = await this.ensureLive(id);
      await this.checkQuota(live);

      const wallMs = this.now();
      const at = nextCommandTime(live.engineNow, live.last, live.startTime, wallMs);
      let result;
      try {
        result = await this.pool.request<"run">(live.worker, {
          type: "run",
          session: id,
          host: input.host,
          namespace: input.namespace,
          command: input.command,
          at,
          budget: this.simulator.budget,
          // The JSON comes along only for a session someone watches live; the log stores it compressed.
          withJson: this.listeners.has(id),
        });
      } catch (err) {
        throw this.simulatorFailure(id, live, err);
      }
      const index = live.nextIndex;

      const row = {
        index,
        host: input.host,
        namespace: input.namespace ?? null,
        command: input.command,
        output: result.output,
        exitCode: result.exitCode,
        at,
        eventsFrom: result.eventsFrom,
        eventsTo: result.eventsTo,
        events: result.eventsStored,
        interruption: result.interruption,
        createdAt: new Date(wallMs),
      };
      try {
        await this.commandLog.append(id, row);
      } catch (err) {
        this.registry.delete(id, live);
        this.log.error({ err, sessionId: id, index }, "a command ran but its log row could not be written; the engine was dropped");
        throw new HttpError(500, "COMMAND_NOT_RECORDED", "The command could not be recorded, so it did not happen; send it again");
      }
      live.nextIndex = index + 1;
      live.last = { at, wallMs };
      live.engineNow = result.time;
      if (result.eventsTo > result.eventsFrom) this.ownership.committed(id, { from: result.eventsFrom, to: result.eventsTo });
      const stored = Buffer.byteLength(row.output) + row.events.byteLength;
      live.storedBytes += stored;
      const tokenTotal = this.tokenBytes.get(live.ownerId);
      if (tokenTotal !== undefined) this.tokenBytes.set(live.ownerId, tokenTotal + stored);
      if (result.interruption !== null) {
        this.log.info({ sessionId: id, index, interruption: result.interruption, cpuMs: Math.round(result.cpuMs) }, "a command was stopped by a limit");
      }
      // Subscribers get the events as the worker wrote them, cut, not parsed: a stream sends their JSON as is.
      // A chunk (a thousand events) at a time, letting other requests in between: a long command's
      // ten thousand events cut and sent at once would hold this thread for tens of milliseconds.
      // Of a long command only the head and the last chunk come live: streams read the middle from
      // the store, paced (stored-trace.ts, liveChunkIndexes).
      if (result.eventsTo > result.eventsFrom && this.listeners.has(id)) {
        if (result.eventsJson !== null) {
          for (const [i, chunk] of result.eventsJson.entries()) {
            if (i > 0) await yieldToEventLoop();
            this.notify(id, splitEventsText(chunk));
          }
        } else {
          // A stream subscribed while the command ran, so the worker sent no JSON: the stored
          // chunks are inflated on the thread pool, one after the other.
          const blob = result.eventsStored;
          const chunks = readChunkIndex(blob);
          for (const i of liveChunkIndexes(chunks.length)) this.notify(id, await readChunk(blob, chunks[i]!));
        }
      }
      return {
        index,
        output: result.output,
        exitCode: result.exitCode,
        interruption: result.interruption,
        events: { from: result.eventsFrom, to: result.eventsTo },
        at,
        time: result.time,
      };
    });
  }

  /** Refuses a command when the session or its token stores as much as it may. */
  private async checkQuota(live: LiveSession): Promise<void> {
    const { sessionStorageBytes, tokenStorageBytes } = this.simulator;
    if (live.storedBytes >= sessionStorageBytes) {
      throw new HttpError(
        409,
        "STORAGE_QUOTA_EXCEEDED",
        `This session stores ${mb(live.storedBytes)} of commands and trace, its limit of ${mb(sessionStorageBytes)}: it runs no more commands. Start a new session of the lab.`,
      );
    }
    let tokenTotal = this.tokenBytes.get(live.ownerId);
    // Other instances' commands for the token's other sessions are in the database only.
    if (tokenTotal === undefined || this.ownership.shared) {
      tokenTotal = await this.reads.tokenStoredBytes(live.ownerId);
      this.tokenBytes.set(live.ownerId, tokenTotal);
    }
    if (tokenTotal >= tokenStorageBytes) {
      throw new HttpError(
        409,
        "STORAGE_QUOTA_EXCEEDED",
        `Your sessions store ${mb(tokenTotal)} together, the limit of ${mb(tokenStorageBytes)} per student: delete old sessions (or ask your instructor) to run more commands.`,
      );
    }
  }

  /** What a failed simulator request means for the session, as the answer to give. */
  private simulatorFailure(id: string, live: LiveSession, err: unknown): Error {
    if (err instanceof WorkerRequestError) {
      switch (err.failure.code) {
        case "UNKNOWN_HOST":
          return new HttpError(404, "UNKNOWN_HOST", err.message);
        case "UNKNOWN_NAMESPACE":
          return new HttpError(404, "UNKNOWN_NAMESPACE", err.message);
        case "TOO_LARGE":
          return new HttpError(413, "PAYLOAD_TOO_LARGE", err.message);
        case "DEVICE_NOT_FOUND":
          return new HttpError(404, "DEVICE_NOT_FOUND", err.message);
        case "EVENT_NOT_FOUND":
          return new HttpError(404, "EVENT_NOT_FOUND", err.message);
        case "SESSION_NOT_OPEN":
        case "INVALID_TOPOLOGY":
        case "INTERNAL":
          break;
        default: {
          const never: never = err.failure.code;
          return new Error(`unknown simulator failure ${String(never)}`);
        }
      }
    }
    // The engine may be half-way through a change, or gone: rebuild it from the log next time.
    this.registry.delete(id, live);
    if (err instanceof WorkerCrashed && this.closing !== null) {
      this.log.info({ sessionId: id }, "a command still running when the server stopped was not recorded");
      return new HttpError(503, "SHUTTING_DOWN", "The server stopped while running this; nothing was recorded: send it again in a moment");
    }
    if (err instanceof WorkerCrashed) {
      this.log.error({ err, sessionId: id }, "the simulator's worker stopped while it held this session");
      return new HttpError(503, "SIMULATOR_RESTARTED", "The simulator restarted while running this; nothing was recorded: send it again");
    }
    this.log.error({ err, sessionId: id }, "the simulator failed a request");
    return new HttpError(500, "INTERNAL_SERVER_ERROR", "Internal Server Error");
  }

  async commands(id: string, fromIndex: number, limit: number): Promise<CommandRow[]> {
    return commandPage(this.prisma, id, fromIndex, limit);
  }

  /** The network's state as JSON text, built in the session's worker; 413 past the configured size. */
  async state(id: string): Promise<string> {
    return this.registry.enqueue(id, async () => {
      const live = await this.ensureLive(id);
      try {
        return (await this.pool.request<"state">(live.worker, { type: "state", session: id, maxBytes: this.simulator.maxStateBytes })).json;
      } catch (err) {
        throw this.simulatorFailure(id, live, err);
      }
    });
  }

  /**
   * A capture file of the session, made by replaying it in a worker; its
   * bytes go to `onChunk` as they come, then the answer says what they were.
   */
  async capture(id: string, selection: DeviceSelection, onChunk: (bytes: Uint8Array) => void): Promise<CaptureReply> {
    const inputs = await this.replayInputs(id);
    const worker = this.pool.pick();
    try {
      return await this.pool.request<"capture">(worker, { type: "capture", inputs, selection, maxBytes: this.simulator.maxCaptureBytes }, onChunk);
    } catch (err) {
      if (err instanceof WorkerRequestError && err.failure.code === "TOO_LARGE") throw new HttpError(413, "PAYLOAD_TOO_LARGE", err.message);
      if (err instanceof WorkerRequestError && err.failure.code === "DEVICE_NOT_FOUND") throw new HttpError(404, "DEVICE_NOT_FOUND", err.message);
      throw err;
    }
  }

  /** The bytes of the frame stored event `seq` is about (404 EVENT_NOT_FOUND, NO_FRAME); authorize first. */
  frame(id: string, seq: number): Promise<EventFrame> {
    return this.frames.frame(id, seq);
  }

  /**
   * A throw-away copy of the session in a worker, for grading: its state,
   * which of `selectors` its replayed trace matched, and probes run on it
   * (never on the student's own network). Release it when done.
   */
  async copy(inputs: ReplayInputs, selectors: readonly EventSelector[] = []): Promise<SessionCopy> {
    const worker = this.pool.pick();
    const copy = `copy-${++this.copies}`;
    const { state, seen } = await this.pool.request<"copy">(worker, { type: "copy", copy, inputs, selectors: [...selectors] });
    return {
      state,
      seen,
      probe: (host, namespace, command) => this.pool.request<"probe">(worker, { type: "probe", copy, host, namespace, command }),
      release: () => this.pool.notify(worker, { type: "release", copy }),
    };
  }

  // ── Events ──────────────────────────────────────────────────────────────

  /**
   * A page of the stored trace from seq `from`: at most `limit` events that
   * pass the filter. Pieces of rows (chunks) that lie wholly inside an
   * unfiltered page are spliced in as read, without parsing.
   */
  async eventsPage(id: string, from: number, limit: number, filter: EventFilter): Promise<EventPage> {
    const total = await this.nextSeq(id);
    const filtered = filter.host !== undefined || filter.device !== undefined || filter.kind !== undefined;
    const parts: string[] = [];
    let count = 0;
    let bytes = 0;
    let cursor = from;
    let scanned = 0;

    scan: for await (const row of this.storedEvents.piecesFrom(id, cursor)) {
      if (count >= limit || cursor >= total || scanned >= MAX_SCANNED_EVENTS) break;
      const size = row.eventsTo - row.eventsFrom;
      if (!filtered && row.eventsFrom >= cursor && count + size <= limit && bytes + row.bytes <= MAX_PAGE_BYTES) {
        for (const event of row.events()) parts.push(event.json);
        count += size;
        bytes += row.bytes;
        cursor = row.eventsTo;
        scanned += size;
        continue;
      }
      for (const event of row.events()) {
        if (event.seq < cursor) continue;
        if (!matches(event, filter)) {
          cursor = event.seq + 1;
          if (++scanned >= MAX_SCANNED_EVENTS) break scan;
          continue;
        }
        const json = event.json;
        // A page holds at least one event, and past that no more than MAX_PAGE_BYTES: `next` resumes here.
        if (count > 0 && bytes + json.length > MAX_PAGE_BYTES) break scan;
        cursor = event.seq + 1;
        scanned++;
        parts.push(json);
        count++;
        bytes += json.length + 1;
        if (count >= limit) break scan;
      }
      cursor = Math.max(cursor, row.eventsTo);
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

  async eventsSince(id: string, fromSeq: number, limit: number): Promise<EventText[]> {
    // A stream subscribes, then reads: the read waits until other instances' commits reach here too.
    await this.watching.get(id);
    const events: EventText[] = [];
    const cursor = Math.max(0, fromSeq);
    for await (const row of this.storedEvents.piecesFrom(id, cursor)) {
      for (const event of row.events()) {
        if (event.seq < cursor) continue;
        events.push(event);
        if (events.length >= limit) return events;
      }
    }
    return events;
  }

  subscribe(id: string, listener: SessionListener): () => void {
    let set = this.listeners.get(id);
    if (set === undefined) {
      this.listeners.set(id, (set = new Set()));
      this.watching.set(id, this.ownership.watch(id));
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(id);
      if (current === undefined || !current.delete(listener) || current.size > 0) return;
      this.listeners.delete(id);
      if (this.watching.delete(id)) this.ownership.unwatch(id);
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
    const base = await this.reads.replayBase(id);
    if (base === null) throw notFound(id);
    return replayInputsOf(base, await this.reads.replayRows(id));
  }

  // ── Internals ───────────────────────────────────────────────────────────

  /** The session's engine, rebuilt from the log when not in memory (`fresh`: created here just now). Call inside the session's queue. */
  private async ensureLive(id: string, fresh = false): Promise<LiveSession> {
    // A task that was queued behind another when the server began to stop: close() lets the
    // running ones finish and be written, and refuses the rest rather than start them.
    if (this.closing !== null) throw new HttpError(503, "SHUTTING_DOWN", "The server is shutting down: nothing was run; try again in a moment");
    const cached = this.registry.get(id);
    if (cached !== undefined) {
      if (this.ownership.holds(id)) return cached;
      // Another instance may have run commands since: this engine is behind the log.
      this.registry.delete(id, cached);
    }
    if (!(await this.ownership.claim(id, fresh))) {
      throw sessionMoved();
    }

    const base = await this.reads.replayBase(id);
    if (base === null) throw notFound(id);
    const rows = await this.reads.replayRows(id);
    const started = performance.now();
    const worker = this.pool.pick();
    const inputs = replayInputsOf(base, rows);
    let opened;
    try {
      opened = await this.pool.request<"open">(worker, { type: "open", session: id, inputs });
    } catch (err) {
      if (err instanceof WorkerRequestError && err.failure.code === "INVALID_TOPOLOGY") {
        this.log.error({ sessionId: id, issues: err.message }, "a session's stored topology does not build");
        throw new HttpError(500, "SESSION_NOT_BUILDABLE", "This session's network cannot be rebuilt");
      }
      if (err instanceof WorkerCrashed) throw new HttpError(503, "SIMULATOR_RESTARTED", "The simulator restarted while rebuilding this session: try again");
      throw err;
    }
    const last = rows.at(-1);
    const expected = last?.eventsTo ?? 0;
    if (opened.divergedAt !== null || opened.nextSeq !== expected) {
      this.log.warn(
        { sessionId: id, divergedAt: opened.divergedAt, expectedNextSeq: expected, actualNextSeq: opened.nextSeq },
        "a replayed session produced another trace than its log: the simulator changed since the commands ran",
      );
    }
    this.log.debug({ sessionId: id, commands: rows.length, ms: Math.round(performance.now() - started) }, "session rebuilt from its log");
    const live: LiveSession = {
      worker,
      startTime: base.startTime,
      nextIndex: rows.length,
      last: last === undefined ? null : { at: last.at, wallMs: last.createdAt.getTime() },
      engineNow: opened.now,
      ownerId: base.ownerId,
      storedBytes: base.storedBytes,
    };
    this.registry.set(id, live);
    return live;
  }

  private remember(row: SessionRow): SessionRecord {
    const record: SessionRecord = {
      id: row.id,
      labId: row.labId,
      ownerId: row.ownerId,
      ownerName: row.ownerName,
      createdAt: row.createdAt,
      archivedAt: row.archivedAt,
    };
    if (this.records.size >= RECORD_CACHE_LIMIT) this.records.clear();
    this.records.set(row.id, record);
    return record;
  }

  private notify(id: string, events: readonly StreamEvent[]): void {
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

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** A copy of a session in a worker (grading). */
export interface SessionCopy {
  state: NetworkState;
  /** At each selector's place: whether the session's trace has an event it matches. */
  seen: boolean[];
  probe(host: string, namespace: string, command: string): Promise<{ output: string; exitCode: number } | null>;
  release(): void;
}

function matches(event: EventText, filter: EventFilter): boolean {
  return (
    (filter.host === undefined || event.host === filter.host) &&
    (filter.device === undefined || event.device === filter.device) &&
    (filter.kind === undefined || event.kind === filter.kind)
  );
}

/** What a replay of the session needs: where it started, and each logged command with the seq after its events. */
function replayInputsOf(base: ReplayBase, rows: readonly ReplayRow[]): ReplayInputs {
  return {
    topology: base.topology,
    seed: base.seed,
    startTime: base.startTime,
    limits: base.limits,
    commands: rows.map((row) => ({ host: row.host, namespace: row.namespace, command: row.command, at: row.at, interruption: row.interruption, eventsTo: row.eventsTo })),
  };
}
