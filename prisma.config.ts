import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";
import { postgresqlCliAdapter } from "./server/db/postgresql-cli-adapter.js";

// The CLI (generate, migrate deploy) runs on Prisma's JS schema engine through
// the same driver adapter the server uses, so nothing is downloaded.
// DATABASE_URL picks the provider: file: is SQLite (prisma/), postgresql:// is
// PostgreSQL, whose schema and migrations live in prisma/postgresql/ (docs/database.md).
const url = process.env.DATABASE_URL ?? "file:./data/cnlab.db";
const postgresql = /^postgres(ql)?:\/\//.test(url);

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: postgresql ? "prisma/postgresql/schema.prisma" : "prisma/schema.prisma",
  migrations: { path: postgresql ? "prisma/postgresql/migrations" : "prisma/migrations" },
  async adapter() {
    return postgresql ? postgresqlCliAdapter(url) : new PrismaBetterSQLite3({ url });
  },
});
