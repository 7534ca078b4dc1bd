/** Configuration comes from the environment with defaults; a bad value names its variable and what it accepts. */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIG_DEFAULTS, loadConfig } from "../server/config.js";
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
        databaseFile: path.join(PROJECT_ROOT, "data", "cnlab.db"),
        logLevel: "info",
        labsDir: path.join(PROJECT_ROOT, "labs"),
        instructorToken: null,
        sessionIdleSeconds: 900,
        maxLiveSessions: 200,
        commandRate: 20,
        sessionRate: 10,
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
      },
      dir,
    );
    expect(result).toEqual({
      ok: true,
      config: {
        port: 0,
        host: "0.0.0.0",
        databaseUrl: `file:${dir}/db/x.db`,
        databaseFile: `${dir}/db/x.db`,
        logLevel: "debug",
        labsDir: dir,
        instructorToken: "cnlab_abcdefghijklmnop",
        sessionIdleSeconds: 0,
        maxLiveSessions: 5,
        commandRate: 100,
        sessionRate: 2,
      },
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
    ["DATABASE_URL", "postgres://db/cnlab", 'DATABASE_URL must be a SQLite URL of the form file:<path>, relative to the working directory or absolute; got "postgres://db/cnlab"'],
    ["DATABASE_URL", "file::memory:", 'DATABASE_URL must be a SQLite URL of the form file:<path>, relative to the working directory or absolute; got "file::memory:"'],
    ["DATABASE_URL", "file:", 'DATABASE_URL must be a SQLite URL of the form file:<path>, relative to the working directory or absolute; got "file:"'],
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
