/**
 * The server's configuration: environment variables → a typed, validated
 * object. `loadConfig` is pure apart from checking that the labs folder exists,
 * so a test can hand it any environment and read the message it gives back.
 *
 * It does not create folders or touch the database: main.ts does that once
 * the whole configuration is known to be good.
 */
import { statSync } from "node:fs";
import { isIP } from "node:net";
import path from "node:path";
import { DATABASE_URL_FORMS, parseDatabaseUrl } from "./db/database-url.js";
import { SIMULATOR_VARIABLES, simulatorConfig, type SimulatorConfig, type SimulatorVariable } from "./simulator/simulator-config.js";

function simulatorDefaults(): { [K in SimulatorVariable]: (typeof SIMULATOR_VARIABLES)[K]["default"] } {
  return Object.fromEntries(Object.entries(SIMULATOR_VARIABLES).map(([name, v]) => [name, v.default])) as never;
}

function simulatorDescriptions(): Record<SimulatorVariable, string> {
  return Object.fromEntries(Object.entries(SIMULATOR_VARIABLES).map(([name, v]) => [name, `an integer from ${v.min} to ${v.max}: ${v.meaning}`])) as never;
}

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The defaults, exported so the compose-file test can hold docker-compose.yml to them. */
export const CONFIG_DEFAULTS = {
  PORT: "3000",
  HOST: "127.0.0.1",
  DATABASE_URL: "file:./data/cnlab.db",
  LOG_LEVEL: "info",
  CNLAB_LABS_DIR: "./labs",
  CNLAB_INSTRUCTOR_TOKEN: "",
  CNLAB_SESSION_IDLE_SECONDS: "900",
  CNLAB_MAX_LIVE_SESSIONS: "200",
  CNLAB_COMMAND_RATE: "20",
  CNLAB_SESSION_RATE: "10",
  CNLAB_AUTH_FAILURES_PER_MINUTE: "20",
  CNLAB_MAX_STREAMS_PER_TOKEN: "8",
  CNLAB_MAX_STREAMS_PER_SESSION: "16",
  CNLAB_RETENTION_DAYS: "0",
  CNLAB_REPLAY_MB_PER_SECOND: "4",
  REDIS_URL: "",
  CNLAB_INSTANCE_ID: "",
  CNLAB_ADVERTISE_URL: "",
  CNLAB_LEASE_MS: "6000",
  CNLAB_METRICS_TOKEN: "",
  CNLAB_TRUST_PROXY: "",
  ...simulatorDefaults(),
} as const;

export type ConfigVariable = keyof typeof CONFIG_DEFAULTS;

/** What each variable accepts, as the README's table and the error messages say it. */
export const CONFIG_DESCRIPTIONS: Record<ConfigVariable, string> = {
  PORT: "an integer from 0 to 65535 (0 picks a free port)",
  HOST: "a host name or IP address to listen on",
  DATABASE_URL: DATABASE_URL_FORMS,
  LOG_LEVEL: `one of ${LOG_LEVELS.join(", ")}`,
  CNLAB_LABS_DIR: "the path of an existing folder holding the lab files",
  CNLAB_INSTRUCTOR_TOKEN: "a token of 16 to 256 characters from A-Z a-z 0-9 . _ - (unset: one is generated at first start and printed once)",
  CNLAB_SESSION_IDLE_SECONDS: "an integer from 0 to 604800: seconds before an idle session is dropped from memory",
  CNLAB_MAX_LIVE_SESSIONS: "an integer from 1 to 100000: sessions kept in memory at once",
  CNLAB_COMMAND_RATE: "an integer from 1 to 100000: commands per second one token may send",
  CNLAB_SESSION_RATE: "an integer from 1 to 100000: sessions per minute one token may start",
  CNLAB_AUTH_FAILURES_PER_MINUTE: "an integer from 1 to 100000: unknown or revoked tokens one client address may send per minute before it is refused (429) for the rest of the minute",
  CNLAB_MAX_STREAMS_PER_TOKEN: "an integer from 1 to 10000: trace streams (WebSockets) one token may have open at once",
  CNLAB_MAX_STREAMS_PER_SESSION: "an integer from 1 to 10000: trace streams (WebSockets) open on one session at once",
  CNLAB_RETENTION_DAYS: "an integer from 0 to 36500: days a session may sit unused before it is deleted (0 keeps sessions forever)",
  CNLAB_REPLAY_MB_PER_SECOND: "an integer from 1 to 10000: MB per second one token may download of stored trace and capture files: replays and capture files wait for it, a live stream past it by three seconds is cut off as lagged",
  REDIS_URL: "a Redis URL of the form redis://host:port or rediss://host:port (unset: this instance runs alone)",
  CNLAB_INSTANCE_ID: "1 to 64 characters from A-Z a-z 0-9 . _ - naming this instance among the others (unset: host name, process id and a random suffix)",
  CNLAB_ADVERTISE_URL: "an http:// or https:// URL at which the other instances reach this one (unset: derived from HOST and PORT)",
  CNLAB_LEASE_MS: "an integer from 500 to 600000: milliseconds an instance's hold on a session lasts unless renewed; a dead instance's sessions move after it",
  CNLAB_METRICS_TOKEN: "a token of 16 to 256 characters from A-Z a-z 0-9 . _ - that opens GET /metrics and nothing else (unset: an instructor's token only)",
  CNLAB_TRUST_PROXY: "the proxies whose X-Forwarded-For is believed: a comma-separated list of IP addresses, CIDR ranges and the names loopback, linklocal, uniquelocal (unset: none, the client is the peer address)",
  ...simulatorDescriptions(),
};

export interface Config {
  port: number;
  host: string;
  /**
   * file:<absolute path> (a relative DATABASE_URL is resolved here, once, so
   * the server and the migration process, which runs elsewhere, open one
   * file), or postgresql://… as given (server/db/database-url.ts).
   */
  databaseUrl: string;
  logLevel: LogLevel;
  /** Absolute path of the folder of lab files. */
  labsDir: string;
  /** The first instructor's token; null: generate one at first start. */
  instructorToken: string | null;
  /** Seconds a session may sit unused before its engine is dropped from memory (rebuilt from the log on next use). */
  sessionIdleSeconds: number;
  /** Live engines kept at once; past it the least recently used is dropped. */
  maxLiveSessions: number;
  /** Commands per second per token. */
  commandRate: number;
  /** Sessions started per minute per token. */
  sessionRate: number;
  /** Failed authentications per minute from one address before it is refused (429) for the rest of the minute. */
  authFailuresPerMinute: number;
  /** Trace WebSockets one token may have open at once. */
  maxStreamsPerToken: number;
  /** Trace WebSockets open on one session at once. */
  maxStreamsPerSession: number;
  /** Days a session may sit unused before it is deleted; 0 keeps sessions forever. */
  retentionDays: number;
  /** MB per second one token's trace streams may replay from the store. */
  replayMbPerSecond: number;
  /** Redis shared by the instances (session ownership, trace fan-out, rate limits); null: this instance runs alone. */
  redisUrl: string | null;
  /** This instance's name among the others; null: made at start (server/cluster/instance-id.ts). */
  instanceId: string | null;
  /** Where the other instances reach this one (forwarded requests); null: derived from host and port at start. */
  advertiseUrl: string | null;
  /** Milliseconds a session lease lasts unless renewed. */
  leaseMs: number;
  /** The token that opens GET /metrics and nothing else; null: instructors' tokens only. */
  metricsToken: string | null;
  /** Proxies trusted for the client's address (Fastify's trustProxy): addresses, ranges, range names; null: none. */
  trustProxy: string[] | null;
  /** Worker threads, command budgets, session limits, storage quotas (server/simulator/simulator-config.ts). */
  simulator: SimulatorConfig;
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
  // `shown` replaces the value in the message when the value is a secret.
  const fail = (variable: ConfigVariable, got: string, shown = JSON.stringify(got)): ConfigResult => ({
    ok: false,
    variable,
    message: `${variable} must be ${CONFIG_DESCRIPTIONS[variable]}; got ${shown}`,
  });

  const portText = read("PORT");
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port > 65535) return fail("PORT", portText);

  const host = read("HOST");
  if (!/^[A-Za-z0-9.:_-]+$/.test(host)) return fail("HOST", host);

  const databaseUrl = read("DATABASE_URL");
  const database = parseDatabaseUrl(databaseUrl, cwd);
  // A PostgreSQL URL carries a password: the message names the form, not the value.
  if (database === null) return fail("DATABASE_URL", databaseUrl, databaseUrl.startsWith("file:") ? JSON.stringify(databaseUrl) : "a value that is neither");

  const logLevel = read("LOG_LEVEL");
  if (!isLogLevel(logLevel)) return fail("LOG_LEVEL", logLevel);

  const labsDirText = read("CNLAB_LABS_DIR");
  const labsDir = path.resolve(cwd, labsDirText);
  if (!isDirectory(labsDir)) return fail("CNLAB_LABS_DIR", labsDirText);

  const instructorToken = read("CNLAB_INSTRUCTOR_TOKEN");
  if (instructorToken !== "" && !/^[A-Za-z0-9._-]{16,256}$/.test(instructorToken)) {
    return fail("CNLAB_INSTRUCTOR_TOKEN", instructorToken, `a value of ${instructorToken.length} characters (not shown: it is a secret)`);
  }

  const integers: Array<[ConfigVariable, number, number]> = [
    ["CNLAB_SESSION_IDLE_SECONDS", 0, 604_800],
    ["CNLAB_MAX_LIVE_SESSIONS", 1, 100_000],
    ["CNLAB_COMMAND_RATE", 1, 100_000],
    ["CNLAB_SESSION_RATE", 1, 100_000],
    ["CNLAB_AUTH_FAILURES_PER_MINUTE", 1, 100_000],
    ["CNLAB_MAX_STREAMS_PER_TOKEN", 1, 10_000],
    ["CNLAB_MAX_STREAMS_PER_SESSION", 1, 10_000],
    ["CNLAB_RETENTION_DAYS", 0, 36_500],
    ["CNLAB_REPLAY_MB_PER_SECOND", 1, 10_000],
    ["CNLAB_LEASE_MS", 500, 600_000],
    ...Object.entries(SIMULATOR_VARIABLES).map(([name, v]): [ConfigVariable, number, number] => [name as ConfigVariable, v.min, v.max]),
  ];
  const numbers = new Map<ConfigVariable, number>();
  for (const [name, min, max] of integers) {
    const text = read(name);
    const value = Number(text);
    if (!/^[0-9]+$/.test(text) || value < min || value > max) return fail(name, text);
    numbers.set(name, value);
  }

  const redisUrl = read("REDIS_URL");
  if (redisUrl !== "" && !isUrl(redisUrl, ["redis:", "rediss:"])) return fail("REDIS_URL", redisUrl, shownUrl(redisUrl));

  const instanceId = read("CNLAB_INSTANCE_ID");
  if (instanceId !== "" && !/^[A-Za-z0-9._-]{1,64}$/.test(instanceId)) return fail("CNLAB_INSTANCE_ID", instanceId);

  const advertiseUrl = read("CNLAB_ADVERTISE_URL");
  if (advertiseUrl !== "" && !isUrl(advertiseUrl, ["http:", "https:"])) return fail("CNLAB_ADVERTISE_URL", advertiseUrl);

  const metricsToken = read("CNLAB_METRICS_TOKEN");
  if (metricsToken !== "" && !/^[A-Za-z0-9._-]{16,256}$/.test(metricsToken)) {
    return fail("CNLAB_METRICS_TOKEN", metricsToken, `a value of ${metricsToken.length} characters (not shown: it is a secret)`);
  }

  const trustProxyText = read("CNLAB_TRUST_PROXY");
  const trustProxy = trustProxyText === "" ? null : parseTrustProxy(trustProxyText);
  if (trustProxy === undefined) return fail("CNLAB_TRUST_PROXY", trustProxyText);

  return {
    ok: true,
    config: {
      port,
      host,
      databaseUrl: database.url,
      logLevel,
      labsDir,
      instructorToken: instructorToken === "" ? null : instructorToken,
      sessionIdleSeconds: numbers.get("CNLAB_SESSION_IDLE_SECONDS")!,
      maxLiveSessions: numbers.get("CNLAB_MAX_LIVE_SESSIONS")!,
      commandRate: numbers.get("CNLAB_COMMAND_RATE")!,
      sessionRate: numbers.get("CNLAB_SESSION_RATE")!,
      authFailuresPerMinute: numbers.get("CNLAB_AUTH_FAILURES_PER_MINUTE")!,
      maxStreamsPerToken: numbers.get("CNLAB_MAX_STREAMS_PER_TOKEN")!,
      maxStreamsPerSession: numbers.get("CNLAB_MAX_STREAMS_PER_SESSION")!,
      retentionDays: numbers.get("CNLAB_RETENTION_DAYS")!,
      replayMbPerSecond: numbers.get("CNLAB_REPLAY_MB_PER_SECOND")!,
      redisUrl: redisUrl === "" ? null : redisUrl,
      instanceId: instanceId === "" ? null : instanceId,
      advertiseUrl: advertiseUrl === "" ? null : advertiseUrl.replace(/\/+$/, ""),
      leaseMs: numbers.get("CNLAB_LEASE_MS")!,
      metricsToken: metricsToken === "" ? null : metricsToken,
      trustProxy,
      simulator: simulatorConfig((name) => numbers.get(name)!),
    },
  };
}

function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Names proxy-addr (Fastify's trustProxy) knows for the usual private ranges. */
const PROXY_RANGE_NAMES = ["loopback", "linklocal", "uniquelocal"];

/**
 * CNLAB_TRUST_PROXY as Fastify takes it; undefined when it is not valid.
 * Addresses only: "true" would let any client set its own address and slip
 * the per-address limits, and Fastify trusts no one on a number of hops.
 */
function parseTrustProxy(text: string): string[] | undefined {
  const entries = text.split(",").map((entry) => entry.trim());
  const valid = (entry: string): boolean => {
    if (PROXY_RANGE_NAMES.includes(entry)) return true;
    const [address = "", prefix, ...rest] = entry.split("/");
    const family = isIP(address);
    if (family === 0 || rest.length > 0) return false;
    return prefix === undefined || (/^[0-9]+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
  };
  return entries.every(valid) ? entries : undefined;
}

function isUrl(text: string, protocols: readonly string[]): boolean {
  try {
    const url = new URL(text);
    return protocols.includes(url.protocol) && url.hostname !== "";
  } catch {
    return false;
  }
}

/** A URL as an error message may show it: a password in it is replaced. */
function shownUrl(text: string): string {
  return JSON.stringify(text.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@"));
}

function isDirectory(dir: string): boolean {
  try {
    return statSync(dir).isDirectory();
  } catch {
    return false;
  }
}
