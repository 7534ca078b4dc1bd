/** Configuration comes from the environment with defaults; a bad value names its variable and what it accepts. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS, loadConfig } from "../server/config.js";
import { DEFAULT_SIMULATOR_CONFIG } from "../server/simulator/simulator-config.js";
import { PROJECT_ROOT } from "../server/db/prepare-database.js";
import { tempDir } from "./helpers/temp-dir.js";

describe("loadConfig", () => {
  it("uses the defaults for an empty environment", () => {
    expect(loadConfig({}, PROJECT_ROOT)).toEqual({
      ok: true,
      config: {
        port: 3000,
        host: "127.0.0.1",
        databaseUrl: `file:${path.join(PROJECT_ROOT, "data", "cnlab.db")}`,
        logLevel: "info",
        labsDir: path.join(PROJECT_ROOT, "labs"),
        instructorToken: null,
        sessionIdleSeconds: 900,
        maxLiveSessions: 200,
        commandRate: 20,
        sessionRate: 10,
        authFailuresPerMinute: 20,
        maxStreamsPerToken: 8,
        maxStreamsPerSession: 16,
        retentionDays: 0,
        replayMbPerSecond: 4,
        redisUrl: null,
        instanceId: null,
        advertiseUrl: null,
        leaseMs: 6000,
        metricsToken: null,
        trustProxy: null,
        simulator: DEFAULT_SIMULATOR_CONFIG,
      },
    });
  });

  it("reads every variable, resolving relative paths against the working directory", async () => {
    const dir = await tempDir();
    const result = loadConfig(
      {
        PORT: "0",
        HOST: "0.0.0.0",
        DATABASE_URL: "file:db/x.db",
        LOG_LEVEL: "debug",
        CNLAB_LABS_DIR: ".",
        CNLAB_INSTRUCTOR_TOKEN: "cnlab_abcdefghijklmnop",
        CNLAB_SESSION_IDLE_SECONDS: "0",
        CNLAB_MAX_LIVE_SESSIONS: "5",
        CNLAB_COMMAND_RATE: "100",
        CNLAB_SESSION_RATE: "2",
        CNLAB_AUTH_FAILURES_PER_MINUTE: "5",
        CNLAB_MAX_STREAMS_PER_TOKEN: "3",
        CNLAB_MAX_STREAMS_PER_SESSION: "40",
        CNLAB_RETENTION_DAYS: "180",
        CNLAB_REPLAY_MB_PER_SECOND: "9",
        REDIS_URL: "redis://127.0.0.1:6390/2",
        CNLAB_INSTANCE_ID: "cnlab-a",
        CNLAB_ADVERTISE_URL: "http://10.0.0.5:3000/",
        CNLAB_LEASE_MS: "1500",
        CNLAB_METRICS_TOKEN: "prometheus-scrape-0001",
        CNLAB_TRUST_PROXY: "uniquelocal, 203.0.113.7, 2001:db8::/32",
        CNLAB_WORKERS: "3",
        CNLAB_WORKER_YOUNG_MB: "48",
        CNLAB_COMMAND_CPU_MS: "500",
        CNLAB_COMMAND_EVENTS: "1000",
        CNLAB_MAX_DEVICES: "64",
        CNLAB_SESSION_STORAGE_MB: "2",
        CNLAB_MAX_CAPTURE_MB: "1",
      },
      dir,
    );
    expect(result).toEqual({
      ok: true,
      config: {
        port: 0,
        host: "0.0.0.0",
        databaseUrl: `file:${dir}/db/x.db`,
        logLevel: "debug",
        labsDir: dir,
        instructorToken: "cnlab_abcdefghijklmnop",
        sessionIdleSeconds: 0,
        maxLiveSessions: 5,
        commandRate: 100,
        sessionRate: 2,
        authFailuresPerMinute: 5,
        maxStreamsPerToken: 3,
        maxStreamsPerSession: 40,
        retentionDays: 180,
        replayMbPerSecond: 9,
        redisUrl: "redis://127.0.0.1:6390/2",
        instanceId: "cnlab-a",
        advertiseUrl: "http://10.0.0.5:3000",
        leaseMs: 1500,
        metricsToken: "prometheus-scrape-0001",
        trustProxy: ["uniquelocal", "203.0.113.7", "2001:db8::/32"],
        simulator: {
          ...DEFAULT_SIMULATOR_CONFIG,
          workers: 3,
          workerYoungMb: 48,
          budget: { ...DEFAULT_SIMULATOR_CONFIG.budget, cpuMs: 500 },
          limits: { ...DEFAULT_SIMULATOR_CONFIG.limits, commandEvents: 1000, devices: 64 },
          sessionStorageBytes: 2 * 1024 * 1024,
          maxCaptureBytes: 1024 * 1024,
        },
      },
    });
  });

  it("refuses a simulator limit out of its range with one line naming it and its meaning", () => {
    const result = loadConfig({ CNLAB_COMMAND_EVENTS: "5" }, PROJECT_ROOT);
    expect(result).toEqual({
      ok: false,
      variable: "CNLAB_COMMAND_EVENTS",
      message: 'CNLAB_COMMAND_EVENTS must be an integer from 100 to 10000000: trace events one command may record before it is stopped; got "5"',
    });
  });

  it("treats an empty variable as unset", () => {
    const result = loadConfig({ PORT: "", LOG_LEVEL: " " }, PROJECT_ROOT);
    expect(result.ok && [result.config.port, result.config.logLevel]).toEqual([3000, "info"]);
  });

  it.each([
    ["PORT", "http", 'PORT must be an integer from 0 to 65535 (0 picks a free port); got "http"'],
    ["PORT", "65536", 'PORT must be an integer from 0 to 65535 (0 picks a free port); got "65536"'],
    ["PORT", "-1", 'PORT must be an integer from 0 to 65535 (0 picks a free port); got "-1"'],
    ["PORT", "80.5", 'PORT must be an integer from 0 to 65535 (0 picks a free port); got "80.5"'],
    ["HOST", "local host", 'HOST must be a host name or IP address to listen on; got "local host"'],
    ["DATABASE_URL", "mysql://root:secret@db/cnlab", "DATABASE_URL must be a SQLite URL of the form file:<path>, relative to the working directory or absolute, or a PostgreSQL URL of the form postgresql://user:password@host:port/database; got a value that is neither"],
    ["DATABASE_URL", "postgresql://cnlab:secret@db", "DATABASE_URL must be a SQLite URL of the form file:<path>, relative to the working directory or absolute, or a PostgreSQL URL of the form postgresql://user:password@host:port/database; got a value that is neither"],
    ["DATABASE_URL", "file::memory:", 'DATABASE_URL must be a SQLite URL of the form file:<path>, relative to the working directory or absolute, or a PostgreSQL URL of the form postgresql://user:password@host:port/database; got "file::memory:"'],
    ["DATABASE_URL", "file:", 'DATABASE_URL must be a SQLite URL of the form file:<path>, relative to the working directory or absolute, or a PostgreSQL URL of the form postgresql://user:password@host:port/database; got "file:"'],
    ["LOG_LEVEL", "verbose", 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent; got "verbose"'],
    ["CNLAB_LABS_DIR", "./no-such-folder", 'CNLAB_LABS_DIR must be the path of an existing folder holding the lab files; got "./no-such-folder"'],
    [
      "CNLAB_INSTRUCTOR_TOKEN",
      "short",
      "CNLAB_INSTRUCTOR_TOKEN must be a token of 16 to 256 characters from A-Z a-z 0-9 . _ - (unset: one is generated at first start and printed once); got a value of 5 characters (not shown: it is a secret)",
    ],
    ["CNLAB_SESSION_IDLE_SECONDS", "15m", 'CNLAB_SESSION_IDLE_SECONDS must be an integer from 0 to 604800: seconds before an idle session is dropped from memory; got "15m"'],
    ["CNLAB_MAX_LIVE_SESSIONS", "0", 'CNLAB_MAX_LIVE_SESSIONS must be an integer from 1 to 100000: sessions kept in memory at once; got "0"'],
    ["CNLAB_COMMAND_RATE", "-5", 'CNLAB_COMMAND_RATE must be an integer from 1 to 100000: commands per second one token may send; got "-5"'],
    ["CNLAB_SESSION_RATE", "1e3", 'CNLAB_SESSION_RATE must be an integer from 1 to 100000: sessions per minute one token may start; got "1e3"'],
    [
      "CNLAB_AUTH_FAILURES_PER_MINUTE",
      "0",
      'CNLAB_AUTH_FAILURES_PER_MINUTE must be an integer from 1 to 100000: unknown or revoked tokens one client address may send per minute before it is refused (429) for the rest of the minute; got "0"',
    ],
    ["CNLAB_MAX_STREAMS_PER_TOKEN", "0", 'CNLAB_MAX_STREAMS_PER_TOKEN must be an integer from 1 to 10000: trace streams (WebSockets) one token may have open at once; got "0"'],
    ["CNLAB_MAX_STREAMS_PER_SESSION", "many", 'CNLAB_MAX_STREAMS_PER_SESSION must be an integer from 1 to 10000: trace streams (WebSockets) open on one session at once; got "many"'],
    ["CNLAB_RETENTION_DAYS", "-1", 'CNLAB_RETENTION_DAYS must be an integer from 0 to 36500: days a session may sit unused before it is deleted (0 keeps sessions forever); got "-1"'],
    ["CNLAB_RETENTION_DAYS", "30d", 'CNLAB_RETENTION_DAYS must be an integer from 0 to 36500: days a session may sit unused before it is deleted (0 keeps sessions forever); got "30d"'],
    ["REDIS_URL", "127.0.0.1:6379", 'REDIS_URL must be a Redis URL of the form redis://host:port or rediss://host:port (unset: this instance runs alone); got "127.0.0.1:6379"'],
    ["REDIS_URL", "http://cnlab:hunter2@cache:6379", 'REDIS_URL must be a Redis URL of the form redis://host:port or rediss://host:port (unset: this instance runs alone); got "http://cnlab:***@cache:6379"'],
    [
      "CNLAB_INSTANCE_ID",
      "instance one",
      'CNLAB_INSTANCE_ID must be 1 to 64 characters from A-Z a-z 0-9 . _ - naming this instance among the others (unset: host name, process id and a random suffix); got "instance one"',
    ],
    [
      "CNLAB_ADVERTISE_URL",
      "10.0.0.5:3000",
      'CNLAB_ADVERTISE_URL must be an http:// or https:// URL at which the other instances reach this one (unset: derived from HOST and PORT); got "10.0.0.5:3000"',
    ],
    [
      "CNLAB_LEASE_MS",
      "100",
      'CNLAB_LEASE_MS must be an integer from 500 to 600000: milliseconds an instance\'s hold on a session lasts unless renewed; a dead instance\'s sessions move after it; got "100"',
    ],
    [
      "CNLAB_METRICS_TOKEN",
      "scrape me",
      "CNLAB_METRICS_TOKEN must be a token of 16 to 256 characters from A-Z a-z 0-9 . _ - that opens GET /metrics and nothing else (unset: an instructor's token only); got a value of 9 characters (not shown: it is a secret)",
    ],
    ...["true", "1", "10.0.0.0/33", "proxy.example", "uniquelocal,"].map((value) => [
      "CNLAB_TRUST_PROXY",
      value,
      `CNLAB_TRUST_PROXY must be the proxies whose X-Forwarded-For is believed: a comma-separated list of IP addresses, CIDR ranges and the names loopback, linklocal, uniquelocal (unset: none, the client is the peer address); got "${value}"`,
    ]),
  ])("rejects %s=%s with one line naming it", (variable, value, message) => {
    expect(loadConfig({ [variable]: value }, PROJECT_ROOT)).toEqual({ ok: false, variable, message });
  });

  it("rejects a labs path that is a file, not a folder", async () => {
    const dir = await tempDir();
    await writeFile(path.join(dir, "labs"), "");
    const result = loadConfig({ CNLAB_LABS_DIR: "labs" }, dir);
    expect(result.ok ? "accepted" : result.variable).toBe("CNLAB_LABS_DIR");
  });

  it("has defaults that are themselves valid", () => {
    expect(loadConfig({ ...CONFIG_DEFAULTS }, PROJECT_ROOT).ok).toBe(true);
  });
});
