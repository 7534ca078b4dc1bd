/**
 * The PostgreSQL schema is not written by hand: it is prisma/schema.prisma
 * (the one data model, SQLite's) with the generator's output and the
 * datasource's provider changed. Prisma fixes the provider per schema file,
 * and its generated client is provider-specific, so PostgreSQL needs a schema
 * and a client of its own; deriving the one from the other keeps every model
 * and field the same. `npm run db:schema:pg` writes it; a test checks that
 * the committed file is what this function makes of the SQLite schema.
 *
 * It does not touch migrations: each provider has its own folder
 * (docs/database.md says how a change is written for both).
 */
import path from "node:path";

export const SQLITE_SCHEMA = path.join("prisma", "schema.prisma");
export const POSTGRESQL_SCHEMA = path.join("prisma", "postgresql", "schema.prisma");
export const SQLITE_MIGRATIONS = path.join("prisma", "migrations");
export const POSTGRESQL_MIGRATIONS = path.join("prisma", "postgresql", "migrations");

const HEADER = `// Written by \`npm run db:schema:pg\` from prisma/schema.prisma: do not edit
// here. Same models and fields; provider postgresql, its own client.

`;

/** Replaces the one line that must be there, or says what is missing. */
function replaceLine(text: string, pattern: RegExp, line: string): string {
  if (!pattern.test(text)) throw new Error(`prisma/schema.prisma has no line matching ${pattern}`);
  return text.replace(pattern, line);
}

export function postgresqlSchema(sqliteSchema: string): string {
  let text = sqliteSchema;
  text = replaceLine(text, /^(\s*)output(\s*)= "\.\.\/server\/generated\/prisma"$/m, '$1output$2= "../../server/generated/prisma-pg"');
  text = replaceLine(text, /^(\s*)provider(\s*)= "sqlite"$/m, '$1provider$2= "postgresql"');
  // Like SQLite's, a url only so the CLI does not look for a query engine; the adapter's connection is used.
  text = replaceLine(text, /^(\s*)url(\s*)= "file:\.\/data\/cnlab\.db"$/m, '$1url$2= "postgresql://localhost/cnlab"');
  return HEADER + text;
}
