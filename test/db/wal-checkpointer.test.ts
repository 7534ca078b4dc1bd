/**
 * The write-ahead log is checkpointed from a thread of its own, so the
 * connection that commits (the one answering requests) never does it.
 */
import Database from "better-sqlite3";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { WalCheckpointer } from "../../server/db/wal-checkpointer.js";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database as the server opens it: WAL, and no checkpoint by the committing connection. */
function openMain(): { db: Database.Database; file: string } {
  const dir = mkdtempSync(path.join(tmpdir(), "cnlab-wal-"));
  const file = path.join(dir, "test.db");
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("wal_autocheckpoint = 0");
  db.exec("CREATE TABLE t (id INTEGER PRIMARY KEY, b BLOB)");
  cleanups.push(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { db, file };
}

const writeRound = (db: Database.Database) => db.prepare("INSERT INTO t (b) VALUES (?)").run(Buffer.alloc(100 * 1024, 7));
const walBytes = (file: string) => statSync(`${file}-wal`).size;

describe("the WAL checkpointer", () => {
  it("copies every frame of the log into the database when asked, and the next commit starts the log over", async () => {
    const { db, file } = openMain();
    for (let i = 0; i < 20; i++) writeRound(db);
    const checkpointer = new WalCheckpointer(file, { everyMs: 60_000 });
    cleanups.push(() => checkpointer.stop());
    const report = await checkpointer.checkpointNow();
    expect(report.busy).toBe(0);
    expect(report.log).toBeGreaterThan(400);
    expect(report.checkpointed).toBe(report.log);
    writeRound(db);
    const after = await checkpointer.checkpointNow();
    // The log began again: it holds only the last commit's frames.
    expect(after.log).toBeLessThan(40);
    expect(db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 21 });
  });

  it("keeps the log small on its own while the main connection goes on committing", async () => {
    const { db, file } = openMain();
    const checkpointer = new WalCheckpointer(file, { everyMs: 20 });
    cleanups.push(() => checkpointer.stop());
    // 30 MB committed over a second or more: without checkpoints the log would hold all of it.
    for (let i = 0; i < 300; i++) {
      writeRound(db);
      if (i % 10 === 0) await new Promise((resolve) => setTimeout(resolve, 40));
    }
    expect(walBytes(file)).toBeLessThan(20 * 1024 * 1024);
    expect(db.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 300 });
  });

  it("a control: the committing connection alone never shrinks its log", () => {
    const { db, file } = openMain();
    for (let i = 0; i < 300; i++) writeRound(db);
    expect(walBytes(file)).toBeGreaterThan(29 * 1024 * 1024);
  });

  it("stops cleanly, and reports a database it cannot open as an error", async () => {
    const errors: string[] = [];
    const checkpointer = new WalCheckpointer(path.join(tmpdir(), "cnlab-no-such-dir", "x.db"), { everyMs: 60_000 }, (message) => errors.push(message));
    await new Promise<void>((resolve) => {
      const wait = () => (errors.length > 0 ? resolve() : setTimeout(wait, 10));
      wait();
    });
    expect(errors[0]).toMatch(/unable to open|does not exist|directory/i);
    await checkpointer.stop();
  });
});
