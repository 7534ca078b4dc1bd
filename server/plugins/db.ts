/**
 * Decorates `app.prisma` with a client on the configured SQLite file (and
 * `app.sqlite` with that client's own connection, for the command log), and
 * disconnects it when the app closes (after in-flight requests are done,
 * since Fastify runs onClose hooks once the server has stopped).
 *
 * The connection runs in WAL mode with synchronous=NORMAL: a commit is one
 * append to the log file, and survives the process being killed at any
 * moment (only a power cut may lose the last commits). Checkpoints, which copy
 * the log back into the database with fsync, wait for 10 000 pages (about
 * 40 MB) of log, so pages changed over and over are copied once.
 *
 * It does not migrate: main.ts and the test setup do that before building the app.
 */
import fp from "fastify-plugin";
import { openDatabase, type PrismaClient, type SqliteConnection } from "../db/prisma-client.js";

declare module "fastify" {
  interface FastifyInstance {
    prisma: PrismaClient;
    sqlite: SqliteConnection;
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
    const sqlite = database.connection();
    sqlite.pragma("journal_mode = WAL");
    sqlite.pragma("synchronous = NORMAL");
    sqlite.pragma("wal_autocheckpoint = 10000");
    app.decorate("prisma", prisma);
    app.decorate("sqlite", sqlite);
    app.addHook("onClose", async (instance) => {
      await prisma.$disconnect();
      instance.log.info("database closed");
    });
  },
  { name: "db", fastify: "5.x" },
);
