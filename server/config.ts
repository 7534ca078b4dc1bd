/**
 * The server's configuration: environment variables → a typed, validated
 * object. `loadConfig` is pure apart from checking that the labs folder exists,
 * so a test can hand it any environment and read the message it gives back.
 *
 * It does not create folders or touch the database: main.ts does that once
 * the whole configuration is known to be good.
 */
import { statSync } from "node:fs";
import path from "node:path";

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The defaults, exported so the compose-file test can hold docker-compose.yml to them. */
export const CONFIG_DEFAULTS = {
  PORT: "3000",
  HOST: "127.0.0.1",
  DATABASE_URL: "file:./data/cnlab.db",
  LOG_LEVEL: "info",
  CNLAB_LABS_DIR: "./labs",
} as const;

export type ConfigVariable = keyof typeof CONFIG_DEFAULTS;

/** What each variable accepts, as the README's table and the error messages say it. */
export const CONFIG_DESCRIPTIONS: Record<ConfigVariable, string> = {
  PORT: "an integer from 0 to 65535 (0 picks a free port)",
  HOST: "a host name or IP address to listen on",
  DATABASE_URL: "a SQLite URL of the form file:<path>, relative to the working directory or absolute",
  LOG_LEVEL: `one of ${LOG_LEVELS.join(", ")}`,
  CNLAB_LABS_DIR: "the path of an existing folder holding the lab files",
};

export interface Config {
  port: number;
  host: string;
  /**
   * file:<absolute path>. A relative DATABASE_URL is resolved here, once, so
   * the server and the migration process (which runs elsewhere) open one file.
   */
  databaseUrl: string;
  /** The same file as a plain absolute path, for creating its folder. */
  databaseFile: string;
  logLevel: LogLevel;
  /** Absolute path of the folder of lab files. */
  labsDir: string;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; variable: ConfigVariable; message: string };

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Reads the configuration from `env`, resolving relative paths against `cwd`.
 * The first bad variable wins: one clear line is better than a list when the
 * process is about to stop anyway.
 */
export function loadConfig(env: Env, cwd: string = process.cwd()): ConfigResult {
  const read = (name: ConfigVariable): string => {
    const value = env[name];
    // An empty variable (PORT= in a compose file) means "not set", as most tools treat it.
    return value === undefined || value.trim() === "" ? CONFIG_DEFAULTS[name] : value.trim();
  };
  const fail = (variable: ConfigVariable, got: string): ConfigResult => ({
    ok: false,
    variable,
    message: `${variable} must be ${CONFIG_DESCRIPTIONS[variable]}; got ${JSON.stringify(got)}`,
  });

  const portText = read("PORT");
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port > 65535) return fail("PORT", portText);

  const host = read("HOST");
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) return fail("HOST", host);

  const databaseUrl = read("DATABASE_URL");
  const databasePath = databaseUrl.startsWith("file:") ? databaseUrl.slice("file:".length) : "";
  // The adapter passes the rest to SQLite as a file name: no query string, and
  // no in-memory database, which the migration process could not share.
  if (databasePath === "" || databasePath.includes("?") || databasePath === ":memory:") {
    return fail("DATABASE_URL", databaseUrl);
  }

  const logLevel = read("LOG_LEVEL");
  if (!isLogLevel(logLevel)) return fail("LOG_LEVEL", logLevel);

  const labsDirText = read("CNLAB_LABS_DIR");
  const labsDir = path.resolve(cwd, labsDirText);
  if (!isDirectory(labsDir)) return fail("CNLAB_LABS_DIR", labsDirText);

  const databaseFile = path.resolve(cwd, databasePath);
  return {
    ok: true,
    config: { port, host, databaseUrl: `file:${databaseFile}`, databaseFile, logLevel, labsDir },
  };
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
