/**
 * Decorates `app.prisma` with a client on the configured SQLite file and
 * disconnects it when the app closes (after in-flight requests are done,
 * since Fastify runs onClose hooks once the server has stopped).
 *
 * It does not migrate: main.ts and the test setup do that before building the app.
 */
import fp from "fastify-plugin";
import { createPrismaClient, type PrismaClient } from "../db/prisma-client.js";

declare module "fastify" {
  interface FastifyInstance {
    prisma: PrismaClient;
  }
}

export interface DbPluginOptions {
  databaseUrl: string;
}

export default fp<DbPluginOptions>(
  async function db(app, options) {
    const prisma = createPrismaClient(options.databaseUrl);
    await prisma.$connect();
    app.decorate("prisma", prisma);
    app.addHook("onClose", async (instance) => {
      await prisma.$disconnect();
      instance.log.info("database closed");
    });
  },
  { name: "db", fastify: "5.x" },
);
