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
      },
    });
  });

  it("reads every variable, resolving relative paths against the working directory", async () => {
    const dir = await tempDir();
    const result = loadConfig({ PORT: "0", HOST: "0.0.0.0", DATABASE_URL: "file:db/x.db", LOG_LEVEL: "debug", CNLAB_LABS_DIR: "." }, dir);
    expect(result).toEqual({
      ok: true,
      config: { port: 0, host: "0.0.0.0", databaseUrl: `file:${dir}/db/x.db`, databaseFile: `${dir}/db/x.db`, logLevel: "debug", labsDir: dir },
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
