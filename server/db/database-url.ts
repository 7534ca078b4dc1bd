/**
 * What DATABASE_URL names: a SQLite file (`file:<path>`, the embedded
 * default) or a PostgreSQL database (`postgresql://user:password@host:port/db`,
 * also spelt `postgres://`). Everything that must act differently on the two
 * switches on `kind`.
 *
 * It does not connect: prisma-client.ts and prepare-database.ts do.
 */
import path from "node:path";

export type DatabaseLocation =
  /** `url` is file:<absolute path>, so the server and the migration process (run elsewhere) open one file. */
  | { kind: "sqlite"; url: string; file: string }
  | { kind: "postgresql"; url: string };

export type DatabaseKind = DatabaseLocation["kind"];

/** What a DATABASE_URL may be, as the README's table and the error message say it. */
export const DATABASE_URL_FORMS =
  "a SQLite URL of the form file:<path>, relative to the working directory or absolute, or a PostgreSQL URL of the form postgresql://user:password@host:port/database";

/** The location `url` names, a relative SQLite path resolved against `cwd`; null when it names neither. */
export function parseDatabaseUrl(url: string, cwd: string = process.cwd()): DatabaseLocation | null {
  if (url.startsWith("file:")) {
    const file = url.slice("file:".length);
    // The adapter passes the rest to SQLite as a file name: no query string, and
    // no in-memory database, which the migration process could not share.
    if (file === "" || file.includes("?") || file === ":memory:") return null;
    const absolute = path.resolve(cwd, file);
    return { kind: "sqlite", url: `file:${absolute}`, file: absolute };
  }
  if (/^postgres(ql)?:\/\//.test(url)) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return null;
    }
    // A database to open: a host, and a name after the slash.
    if (parsed.hostname === "" || parsed.pathname.length <= 1) return null;
    return { kind: "postgresql", url };
  }
  return null;
}

/** parseDatabaseUrl for a URL already checked (the configuration's); throws on one that is not. */
export function databaseLocation(url: string): DatabaseLocation {
  const location = parseDatabaseUrl(url);
  if (location === null) throw new Error(`DATABASE_URL must be ${DATABASE_URL_FORMS}`);
  return location;
}
