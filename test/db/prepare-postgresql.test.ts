/**
 * A server on PostgreSQL migrates its database at start, as one on SQLite
 * does: instances started together on an empty database apply each migration
 * once (the advisory lock), and a server that cannot be reached stops the
 * start with a line that names it without its password.
 */
import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { postgresqlMigrationsUpToDate } from "../../server/db/migrations-up-to-date.js";
import { DatabaseSetupError, migrationsDir, prepareDatabase } from "../../server/db/prepare-database.js";
import { emptyPostgresqlDatabase } from "../helpers/test-database.js";

describe("prepareDatabase on PostgreSQL", () => {
  it("refuses a server that cannot be reached, naming it without the password", async () => {
    const attempt = prepareDatabase("postgresql://cnlab:s3cret@127.0.0.1:1/cnlab");
    await expect(attempt).rejects.toThrow(DatabaseSetupError);
    await expect(attempt).rejects.toThrow(/^cannot connect to PostgreSQL at 127\.0\.0\.1:1\/cnlab: /);
    await expect(attempt).rejects.not.toThrow(/s3cret/);
  });

  const server = inject("postgresqlTestServer");
  if (server === null) console.warn("SKIPPED: migrating an empty PostgreSQL database at start is tested only on PostgreSQL: run npm run test:pg");

  it.skipIf(server === null)("three instances starting at once on an empty database: every migration applied once, and the next start finds it up to date", async () => {
    const url = await emptyPostgresqlDatabase(server!);
    await Promise.all([prepareDatabase(url), prepareDatabase(url), prepareDatabase(url)]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const { rows } = await client.query<{ migration_name: string; applied: number }>(
        `SELECT migration_name, count(*)::int AS applied FROM _prisma_migrations WHERE finished_at IS NOT NULL GROUP BY migration_name ORDER BY migration_name`,
      );
      expect(rows.length).toBeGreaterThan(5);
      expect(rows.every((row) => row.applied === 1)).toBe(true);
      expect(await postgresqlMigrationsUpToDate(client, migrationsDir("postgresql"))).toBe(true);
    } finally {
      await client.end();
    }
  });
});
