/**
 * The command log's SQLite writes run on a thread of their own, with their own
 * connection (server/db/sqlite-writer.ts): a group is committed whole or not at
 * all, visible to the request thread's connection once it resolves, waits for
 * a lock that connection holds instead of failing, and once the thread is
 * stopped the command writer writes on the request thread's connection again.
 */
import path from "node:path";
import Database from "better-sqlite3";
import { describe, expect, it } from "vitest";
import { SqliteWriteError, SqliteWriter } from "../../server/db/sqlite-writer.js";
import { commandWriter } from "../../server/sessions/command-writer.js";
import { buildTestApp, startSession, createToken } from "../helpers/build-app.js";
import { logRow } from "../helpers/command-log-rows.js";
import { tempDir } from "../helpers/temp-dir.js";

async function database() {
  const file = path.join(await tempDir("cnlab-writer-"), "w.db");
  const main = new Database(file);
  main.pragma("journal_mode = WAL");
  main.exec(`CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL, n BIGINT, b BLOB)`);
  return { file, main };
}

const INSERT = `INSERT INTO t (id, v, n, b) VALUES (?, ?, ?, ?)`;

describe("the SQLite writer thread", () => {
  it("commits a group whole, visible to the other connection once it resolves, BigInt and bytes included", async () => {
    const { file, main } = await database();
    const writer = new SqliteWriter(file);
    await writer.write(INSERT, [
      [1, "a", 2n ** 40n, new Uint8Array([1, 2, 3])],
      [2, "b", null, null],
    ]);
    main.defaultSafeIntegers(true);
    expect(main.prepare("SELECT * FROM t ORDER BY id").all()).toEqual([
      { id: 1n, v: "a", n: 2n ** 40n, b: Buffer.from([1, 2, 3]) },
      { id: 2n, v: "b", n: null, b: null },
    ]);
    await writer.stop();
    main.close();
  });

  it("keeps nothing of a group one of whose rows fails, and says why", async () => {
    const { file, main } = await database();
    const writer = new SqliteWriter(file);
    const failed = writer.write(INSERT, [
      [1, "a", null, null],
      [1, "again", null, null],
    ]);
    await expect(failed).rejects.toBeInstanceOf(SqliteWriteError);
    await expect(failed).rejects.toMatchObject({ code: "SQLITE_CONSTRAINT_PRIMARYKEY" });
    expect(main.prepare("SELECT count(*) AS n FROM t").get()).toEqual({ n: 0 });
    // The thread goes on.
    await writer.write(INSERT, [[3, "c", null, null]]);
    expect(main.prepare("SELECT v FROM t").all()).toEqual([{ v: "c" }]);
    await writer.stop();
    main.close();
  });

  it("is another connection: it waits for the write lock the request thread's connection holds, then commits", async () => {
    const { file, main } = await database();
    const writer = new SqliteWriter(file);
    main.exec("BEGIN IMMEDIATE");
    main.prepare(INSERT).run(10, "held", null, null);
    let committed = false;
    const write = writer.write(INSERT, [[11, "waited", null, null]]).then(() => (committed = true));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(committed).toBe(false);
    main.exec("COMMIT");
    await write;
    expect(main.prepare("SELECT v FROM t ORDER BY id").all()).toEqual([{ v: "held" }, { v: "waited" }]);
    await writer.stop();
    main.close();
  });

  it("refuses writes once stopped, and the command writer then writes on the app's own connection", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const id = await startSession(app, alice.token);
    const driver = app.database;
    if (driver.kind !== "sqlite") return expect(driver.kind).toBe("postgresql");
    expect(driver.writer?.alive).toBe(true);
    const write = commandWriter(driver);
    await write([{ sessionId: id, command: logRow(0) }]);
    await driver.writer!.stop();
    expect(driver.writer!.alive).toBe(false);
    await expect(driver.writer!.write(INSERT, [])).rejects.toThrow(/not running/);
    await write([{ sessionId: id, command: logRow(1) }]);
    expect(await app.prisma.sessionCommand.count({ where: { sessionId: id } })).toBe(2);
    await app.close();
  });
});
