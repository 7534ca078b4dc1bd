/**
 * Checkpoints the SQLite write-ahead log from a thread of its own.
 *
 * SQLite's automatic checkpoint runs inside the commit that crosses its
 * threshold, on the connection that commits: here, the thread that answers
 * every request. Copying 40 MB of log into the database and fsyncing it held
 * that thread for hundreds of milliseconds (measured: commits of 32 KB at a
 * p50 of 0.12 ms, and 0.4–0.55 s for each one that checkpointed), so every
 * student's request waited once a minute on a busy server.
 *
 * So the request thread's connection never checkpoints (wal_autocheckpoint =
 * 0), and this worker thread opens its own connection to the same file and
 * runs a PASSIVE checkpoint every couple of seconds. PASSIVE takes no writer
 * lock: commits go on while it copies. A page changed over and over between
 * two checkpoints is copied once, and a checkpoint with nothing new to copy
 * neither writes nor syncs. After a checkpoint has copied every frame, the
 * next commit starts the log over from its beginning, so the log holds about
 * two seconds of writes.
 *
 * The worker's code is a string evaluated as a script: it is a dozen lines,
 * and a file of its own would need its own entry in the ahead-of-time build.
 * better-sqlite3 is resolved here and handed over by path.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export interface WalCheckpointerOptions {
  /** Milliseconds between two checkpoints. */
  everyMs: number;
}

export const DEFAULT_WAL_CHECKPOINTS: WalCheckpointerOptions = { everyMs: 2_000 };

/** What the worker reports after each checkpoint: SQLite's (busy, log frames, frames checkpointed). */
export interface CheckpointReport {
  busy: number;
  log: number;
  checkpointed: number;
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma("busy_timeout = 1000");
function checkpoint(report) {
  try {
    const [row] = db.pragma("wal_checkpoint(PASSIVE)");
    if (report) parentPort.postMessage({ type: "checkpoint", busy: row.busy, log: row.log, checkpointed: row.checkpointed });
  } catch (err) {
    parentPort.postMessage({ type: "error", message: String((err && err.message) || err) });
  }
}
const timer = setInterval(() => checkpoint(false), workerData.everyMs);
parentPort.on("message", (message) => {
  if (message === "checkpoint") checkpoint(true);
  if (message === "stop") {
    clearInterval(timer);
    db.close();
    parentPort.postMessage({ type: "stopped" });
    parentPort.close();
  }
});
`;

type WorkerMessage = ({ type: "checkpoint" } & CheckpointReport) | { type: "error"; message: string } | { type: "stopped" };

export class WalCheckpointer {
  private readonly worker: Worker;
  private readonly waiters: { resolve: (report: CheckpointReport) => void; reject: (err: Error) => void }[] = [];
  private readonly exited: Promise<void>;

  constructor(
    file: string,
    options: WalCheckpointerOptions = DEFAULT_WAL_CHECKPOINTS,
    private readonly onError: (message: string) => void = () => {},
  ) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, ...options } });
    // It must never keep a stopping process alive.
    this.worker.unref();
    this.worker.on("message", (message: WorkerMessage) => {
      switch (message.type) {
        case "checkpoint":
          for (const waiter of this.waiters.splice(0)) waiter.resolve(message);
          break;
        case "error":
          for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(message.message));
          this.onError(message.message);
          break;
        case "stopped":
          break;
        default:
          message satisfies never;
      }
    });
    this.worker.on("error", (err) => this.onError(err.message));
    this.exited = new Promise((resolve) => this.worker.once("exit", () => resolve()));
  }

  /** Runs a checkpoint now, whatever the log's size; resolves with SQLite's report. */
  checkpointNow(): Promise<CheckpointReport> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.worker.postMessage("checkpoint");
    });
  }

  /** Closes the worker's connection and ends the thread. */
  stop(): Promise<void> {
    // A thread that already ended (it could not open the file) takes no message.
    this.worker.postMessage("stop");
    // Unreferenced, the thread would let a process that waits only for it end here, mid-shutdown, before the
    // database is closed: held until it has exited.
    this.worker.ref();
    return this.exited;
  }
}
