/**
 * The simulator's worker threads, seen from the server's main thread. The
 * main thread does HTTP, WebSocket and database work only; every engine lives
 * in a worker, and this pool is how the server reaches it: a request goes to
 * one worker, and its reply (or the worker's failure) settles the promise.
 *
 * A session is opened on one worker and stays there while it is live (the
 * session manager remembers which); a new session or a replay goes to the
 * worker with the least work. A worker that dies (out of memory, a bug) is
 * started again; the requests it had fail with WorkerCrashed, and its sessions
 * are forgotten (`onRestart`), to be rebuilt from their logs on next use.
 */
import { availableParallelism } from "node:os";
import { Worker, type ResourceLimits } from "node:worker_threads";
import type { WorkerFailure, WorkerMessage, WorkerReplies, WorkerRequest } from "../engine/index.js";
import { workerEntry } from "./worker-bundle.js";

/** What a worker is started with. */
export interface EngineWorkerData {
  nice: number;
}

export interface EnginePoolOptions {
  /** Worker threads. */
  size: number;
  /** Old-generation heap a worker may use, MB; past it the worker dies and is restarted. */
  memoryMb: number;
  /** A worker's young generation, MB (workerResourceLimits). */
  youngMb: number;
  /** How much lower the workers' CPU priority is (thread-priority.ts); 0 or absent: unchanged. */
  nice?: number;
  /** Told which worker restarted, so its sessions can be forgotten. */
  onRestart?: (worker: number, reason: string) => void;
}

/**
 * A worker's heap. A command's events die young: built a step at a time,
 * encoded into the chunk being cut, let go. How often the young generation
 * is collected, and how much of it is copied each time, is then most of what
 * recording a long command costs beyond simulating it (measured in a worker
 * with these limits: see README, the kernel comparison).
 */
export function workerResourceLimits(options: Pick<EnginePoolOptions, "memoryMb" | "youngMb">): ResourceLimits {
  return { maxOldGenerationSizeMb: options.memoryMb, maxYoungGenerationSizeMb: options.youngMb };
}

/** A request the worker answered with a failure. */
export class WorkerRequestError extends Error {
  constructor(readonly failure: WorkerFailure) {
    super(failure.message);
  }
}

/** The worker died before answering. */
export class WorkerCrashed extends Error {}

export function defaultPoolSize(): number {
  // One core stays with the main thread: HTTP, WebSocket and the database.
  return Math.min(8, Math.max(1, availableParallelism() - 1));
}

type RequestOf<T extends keyof WorkerReplies> = Omit<Extract<WorkerRequest, { type: T }>, "id">;
type Notice = Extract<WorkerRequest, { type: "drop" | "release" }>;

interface Pending {
  resolve: (value: never) => void;
  reject: (err: Error) => void;
  onChunk: ((bytes: Uint8Array) => void) | undefined;
}

interface Slot {
  worker: Worker;
  pending: Map<number, Pending>;
  /** Sessions open on it, for placing new ones. */
  open: number;
}


export class EnginePool {
  private readonly slots: Slot[] = [];
  private nextId = 1;
  private closing = false;
  private entry: URL | undefined;

  constructor(private readonly options: EnginePoolOptions) {}

  /** Workers start on first use: a server that runs no command starts none. */
  private slot(index: number): Slot {
    while (this.slots.length < this.options.size) this.slots.push(this.spawn(this.slots.length));
    return this.slots[index]!;
  }

  /** The worker with the least work: open sessions plus requests in flight. */
  pick(): number {
    this.slot(0);
    let best = 0;
    let load = Infinity;
    this.slots.forEach((slot, i) => {
      const l = slot.open + slot.pending.size;
      if (l < load) {
        best = i;
        load = l;
      }
    });
    return best;
  }

  /** Requests sent to each worker and not yet answered (a worker runs them by turns), for /metrics; 0 for a worker not started yet. */
  queueDepths(): number[] {
    return Array.from({ length: this.options.size }, (_, i) => this.slots[i]?.pending.size ?? 0);
  }

  request<T extends keyof WorkerReplies>(worker: number, req: RequestOf<T>, onChunk?: (bytes: Uint8Array) => void): Promise<WorkerReplies[T]> {
    const slot = this.slot(worker);
    if (this.closing) return Promise.reject(new WorkerCrashed("the simulator is shutting down"));
    const id = this.nextId++;
    return new Promise<WorkerReplies[T]>((resolve, reject) => {
      slot.pending.set(id, { resolve: resolve as (value: never) => void, reject, onChunk });
      // A request in flight keeps the process alive until it is answered; an idle pool does not.
      if (slot.pending.size === 1) slot.worker.ref();
      slot.worker.postMessage({ ...req, id });
    }).then((value) => {
      if (req.type === "open") slot.open++;
      return value;
    });
  }

  /** A message without a reply (drop a session, release a copy). */
  notify(worker: number, notice: Notice): void {
    const slot = this.slots[worker];
    if (slot === undefined) return;
    if (notice.type === "drop") slot.open = Math.max(0, slot.open - 1);
    slot.worker.postMessage(notice);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.slots.map((slot) => slot.worker.terminate()));
  }

  private spawn(index: number): Slot {
    this.entry ??= workerEntry();
    const worker = new Worker(this.entry, {
      resourceLimits: workerResourceLimits(this.options),
      workerData: { nice: this.options.nice ?? 0 } satisfies EngineWorkerData,
      stdout: false,
      stderr: false,
    });
    const slot: Slot = { worker, pending: new Map(), open: 0 };
    worker.on("message", (message: WorkerMessage) => {
      if (message.type === "ready") return;
      const pending = slot.pending.get(message.id);
      if (pending === undefined) return;
      if (message.type === "chunk") {
        pending.onChunk?.(message.bytes);
        return;
      }
      slot.pending.delete(message.id);
      if (slot.pending.size === 0) worker.unref();
      if (message.ok) pending.resolve(message.value as never);
      else pending.reject(new WorkerRequestError(message.error));
    });
    let ended = false;
    const end = (reason: string) => {
      if (ended) return;
      ended = true;
      for (const pending of slot.pending.values()) pending.reject(new WorkerCrashed(`the simulator's worker stopped: ${reason}`));
      slot.pending.clear();
      if (this.closing || this.slots[index] !== slot) return;
      this.slots[index] = this.spawn(index);
      this.options.onRestart?.(index, reason);
    };
    worker.on("error", (err) => end(err.message));
    worker.on("exit", (code) => end(`exit code ${code}`));
    worker.unref();
    return slot;
  }
}
