/**
 * The PostgreSQL side of the test setup (`npm run test:pg`). Given the URL in
 * CNLAB_TEST_DATABASE (a database on a server where the role may create
 * databases), it checks that the server answers, and fails the whole run with
 * a message that says what to do when it does not: a run meant for
 * PostgreSQL never passes on SQLite by accident. It then migrates a template
 * database of this run with `prisma migrate deploy`, the path a server takes
 * at start, and its teardown drops every database of this run.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import { parseDatabaseUrl } from "../../server/db/database-url.js";
import { describePostgresql, migrateDatabase } from "../../server/db/prepare-database.js";
import { databaseUrl, type PostgresqlTestServer } from "./test-database.js";

export async function preparePostgresqlTestServer(
  adminUrl: string | undefined,
): Promise<{ server: PostgresqlTestServer; remove: () => Promise<void> } | null> {
  if (adminUrl === undefined || adminUrl.trim() === "") return null;
  if (parseDatabaseUrl(adminUrl)?.kind !== "postgresql") {
    throw new Error("CNLAB_TEST_DATABASE must be a PostgreSQL URL, postgresql://user:password@host:port/database");
  }
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (err) {
    throw new Error(
      [
        `npm run test:pg: PostgreSQL at ${describePostgresql(adminUrl)} cannot be reached (${(err as Error).message}).`,
        "Start it and create the test role and database (docs/database.md), or point CNLAB_TEST_DATABASE at one.",
        "The PostgreSQL run is not skipped: nothing was tested.",
      ].join("\n"),
    );
  }
  // Lower case, digits and _: a database name needs no quoting in messages, and stays under 63 bytes.
  const prefix = `cnlab_t${randomBytes(4).toString("hex")}`;
  const template = `${prefix}_template`;
  const run = async (sql: string) => {
    await admin.query(sql);
  };
  const remove = async () => {
    const { rows } = await admin.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datname LIKE $1", [`${prefix}\\_%`]);
    for (const { datname } of rows) await run(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    await admin.end();
  };
  try {
    // C collation: text sorts by code point, as SQLite's does (docs/database.md).
    await run(`CREATE DATABASE "${template}" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`);
    await migrateDatabase(databaseUrl(adminUrl, template));
  } catch (err) {
    await remove();
    throw err;
  }
  return { server: { adminUrl, template, prefix }, remove };
}
