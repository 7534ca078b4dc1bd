/**
 * Runs groups of SQLite writes on a thread of their own, for the command log.
 *
 * Every answered command is committed first, and on the thread that answers
 * requests a group's transaction (a prepared INSERT per row, the triggers
 * that keep the session's counters, the commit into the write-ahead log) was
 * a fifth of that thread's work under the HTTP benchmark. Here a worker
 * thread opens its own connection to the same file and runs each group as one
 * IMMEDIATE transaction (it takes the write lock at its start, so it never has
 * to upgrade a read lock another connection also holds); the request thread
 * only posts the rows and waits for the reply. The rows are visible to every
 * connection once the reply comes: SQLite's WAL gives a read that starts
 * after a commit everything committed.
 *
 * The connection is set as the request thread's is (synchronous NORMAL,
 * no automatic checkpoint: wal-checkpointer.ts checkpoints), and waits up to
 * a few seconds for a lock another connection holds (a Prisma transaction on
 * the request thread's connection). When the thread cannot start or dies, the
 * pending groups fail (the command log then writes them one by one, and
 * reports what still fails) and `alive` turns false: the caller writes on its
 * own connection again.
 *
 * The worker's code is a string evaluated as a script, as wal-checkpointer.ts
 * does, so the ahead-of-time build needs no entry for it.
 */
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

/** How long the writer waits for another connection's lock before a group fails, ms. */
const BUSY_TIMEOUT_MS = 5_000;

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true, timeout: workerData.busyMs });
db.pragma("synchronous = NORMAL");
db.pragma("wal_autocheckpoint = 0");
// Integers as the request thread's connection reads them is not our concern: this connection only writes.
const statements = new Map();
const statement = (sql) => {
  let s = statements.get(sql);
  if (s === undefined) statements.set(sql, (s = db.prepare(sql)));
  return s;
};
const group = db.transaction((sql, rows) => {
  const insert = statement(sql);
  for (const row of rows) insert.run(...row);
});
parentPort.on("message", (message) => {
  if (message.type === "stop") {
    db.close();
    parentPort.postMessage({ type: "stopped" });
    parentPort.close();
    return;
  }
  try {
    group.immediate(message.sql, message.rows);
    parentPort.postMessage({ type: "done", id: message.id });
  } catch (err) {
    parentPort.postMessage({ type: "failed", id: message.id, message: String((err && err.message) || err), code: err && err.code });
  }
});
`;

type WorkerMessage = { type: "done"; id: number } | { type: "failed"; id: number; message: string; code?: string } | { type: "stopped" };

/** A write the writer's connection refused, with SQLite's code (SQLITE_CONSTRAINT_TRIGGER …). */
export class SqliteWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "SqliteWriteError";
  }
}

export class SqliteWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: () => void; reject: (err: Error) => void }>();
  private nextId = 0;
  private readonly exited: Promise<void>;
  /** False once the thread has failed or stopped: write on the caller's own connection then. */
  alive = true;

  constructor(file: string) {
    const driver = createRequire(import.meta.url).resolve("better-sqlite3");
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { driver, file, busyMs: BUSY_TIMEOUT_MS } });
    // Idle, it must never keep a stopping process alive; a write in flight holds it (write()).
    this.worker.unref();
    this.worker.on("message", (message: WorkerMessage) => {
      switch (message.type) {
        case "done":
          this.settle(message.id)?.resolve();
          break;
        case "failed":
          this.settle(message.id)?.reject(new SqliteWriteError(message.message, message.code));
          break;
        case "stopped":
          break;
        default:
          message satisfies never;
      }
    });
    this.worker.on("error", (err) => this.fail(err));
    this.exited = new Promise((resolve) =>
      this.worker.once("exit", () => {
        this.fail(new Error("the SQLite writer thread ended"));
        resolve();
      }),
    );
  }

  /** Runs `sql` once per row, all in one transaction; resolves once committed. */
  write(sql: string, rows: readonly unknown[][]): Promise<void> {
    if (!this.alive) return Promise.reject(new Error("the SQLite writer thread is not running"));
    const id = this.nextId++;
    if (this.pending.size === 0) this.worker.ref();
    return new Promise<void>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: "write", id, sql, rows });
    });
  }

  /** Closes the thread's connection and ends it, once the writes sent before are done. */
  stop(): Promise<void> {
    if (this.alive) this.worker.postMessage({ type: "stop" });
    this.alive = false;
    this.worker.ref();
    return this.exited;
  }

  private settle(id: number) {
    const waiter = this.pending.get(id);
    this.pending.delete(id);
    if (this.pending.size === 0) this.worker.unref();
    return waiter;
  }

  private fail(err: Error): void {
    this.alive = false;
    for (const waiter of this.pending.values()) waiter.reject(err);
    this.pending.clear();
  }
}
