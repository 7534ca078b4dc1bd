/**
 * Decorates `app.prisma` with a client on the configured database (and
 * `app.database` with the driver under it, for the command log), and
 * disconnects it when the app closes (after in-flight requests are done,
 * since Fastify runs onClose hooks once the server has stopped).
 *
 * On SQLite the connection runs in WAL mode with synchronous=NORMAL: a commit
 * is one append to the log file, and survives the process being killed at any
 * moment (only a power cut may lose the last commits). Checkpoints, which copy
 * the log back into the database with fsync, run in a thread of their own
 * (db/wal-checkpointer.ts), never inside a commit on this thread: one took
 * this thread, and every request waiting on it, for hundreds of milliseconds.
 * Should that thread fail, the connection checkpoints by itself again, every
 * 10 000 pages (about 40 MB) of log. PostgreSQL is tuned by its operator,
 * not from here.
 *
 * It does not migrate: main.ts and the test setup do that before building the app.
 */
import fp from "fastify-plugin";
import type { FastifyBaseLogger } from "fastify";
import { openDatabase, type DatabaseDriver, type PrismaClient, type SqliteConnection } from "../db/prisma-client.js";
import { DEFAULT_WAL_CHECKPOINTS, WalCheckpointer } from "../db/wal-checkpointer.js";

declare module "fastify" {
  interface FastifyInstance {
    prisma: PrismaClient;
    database: DatabaseDriver;
  }
}

export interface DbPluginOptions {
  databaseUrl: string;
}

export default fp<DbPluginOptions>(
  async function db(app, options) {
    const database = openDatabase(options.databaseUrl);
    const prisma = database.prisma;
    await prisma.$connect();
    const driver = database.driver();
    let checkpointer: WalCheckpointer | null = null;
    switch (driver.kind) {
      case "sqlite":
        driver.connection.pragma("journal_mode = WAL");
        driver.connection.pragma("synchronous = NORMAL");
        checkpointer = startCheckpoints(driver.connection, app.log);
        break;
      case "postgresql":
        // $connect does not open a connection on PostgreSQL: one query now makes a server that cannot be reached fail the start.
        try {
          await driver.pool.query("SELECT 1");
        } catch (err) {
          await prisma.$disconnect();
          throw err;
        }
        break;
      default:
        driver satisfies never;
    }
    app.decorate("prisma", prisma);
    app.decorate<DatabaseDriver>("database", driver);
    app.addHook("onClose", async (instance) => {
      await checkpointer?.stop();
      await prisma.$disconnect();
      instance.log.info("database closed");
    });
  },
  { name: "db", fastify: "5.x" },
);

/** WAL checkpoints in their own thread; none for a database in memory, which has no log. */
function startCheckpoints(connection: SqliteConnection, log: FastifyBaseLogger): WalCheckpointer | null {
  if (connection.memory) return null;
  connection.pragma("wal_autocheckpoint = 0");
  return new WalCheckpointer(connection.name, DEFAULT_WAL_CHECKPOINTS, (message) => {
    log.error({ message }, "WAL checkpoints in their own thread failed: the connection checkpoints by itself again");
    // The app may be closing, its connection with it: then there is nothing left to checkpoint.
    if (connection.open) connection.pragma("wal_autocheckpoint = 10000");
  });
}
