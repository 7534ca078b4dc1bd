import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

// The CLI (generate, migrate deploy) runs on Prisma's JS schema engine through
// the same driver adapter the server uses, so nothing is downloaded.
const url = process.env.DATABASE_URL ?? "file:./data/cnlab.db";

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  async adapter() {
    return new PrismaBetterSQLite3({ url });
  },
});
