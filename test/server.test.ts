/**
 * The real process: main.ts creates and migrates its database, listens, serves
 * /health and /docs, and on SIGTERM finishes, closes the database and exits 0.
 * A start that cannot work exits 1 with one line saying why.
 */
import { SHIPPED_LAB_COUNT } from "./helpers/build-app.js";
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { labsFolder, minimalLab } from "./helpers/lab-files.js";
import { migrationsUpToDate } from "../server/db/migrations-up-to-date.js";
import { PROJECT_ROOT } from "../server/db/prepare-database.js";
import { runMain } from "./helpers/run-main.js";
import { tempDir } from "./helpers/temp-dir.js";
import { testRedisServer } from "./helpers/test-redis.js";

describe("server/main.ts", () => {
  it("starts on a new database folder, serves /health and /docs, and shuts down cleanly on SIGTERM", async () => {
    const databaseFile = path.join(await tempDir(), "data", "cnlab.db");
    const server = runMain({ PORT: "0", DATABASE_URL: `file:${databaseFile}`, LOG_LEVEL: "info" });
    const baseUrl = await server.listening;
    expect(existsSync(databaseFile)).toBe(true);

    const health = await fetch(`${baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({
      status: "ok",
      database: "ok",
      labs: SHIPPED_LAB_COUNT,
      // Without CNLAB_INSTANCE_ID: the host name, the process id and a random suffix.
      instance: expect.stringMatching(/^[A-Za-z0-9._-]+-\d+-[0-9a-f]{6}$/),
      sessions: { live: 0, owned: 0 },
      dependencies: { database: { status: "ok", kind: "sqlite", latencyMs: expect.any(Number) }, redis: testRedisServer() === null ? { status: "not configured" } : { status: "ok", latencyMs: expect.any(Number) } },
    });
    expect(health.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    const docs = await fetch(`${baseUrl}/docs`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toContain("swagger-ui");

    // Logs are pino JSON; request lines carry the request id.
    const healthLog = server.logs.find((line) => (line["req"] as { url?: string } | undefined)?.url === "/health");
    expect(healthLog?.["reqId"]).toBe(health.headers.get("x-request-id"));

    server.child.kill("SIGTERM");
    expect(await server.exited).toBe(0);
    const messages = server.logs.map((line) => line["msg"]);
    expect(messages).toContain("database closed");
    expect(messages.indexOf("database closed")).toBeLessThan(messages.indexOf("shutdown complete"));
    expect(server.stderr()).toBe("");
  });

  it("starts again on the database it migrated, which it finds up to date, and serves the same labs", async () => {
    const databaseFile = path.join(await tempDir(), "cnlab.db");
    // runMain knows the server listens from its "Server listening" log line: info, not silent.
    const env = { PORT: "0", DATABASE_URL: `file:${databaseFile}`, LOG_LEVEL: "info" };
    const first = runMain(env);
    // Started, not only listening: /health answers before the first one is stopped.
    expect((await fetch(`${await first.listening}/health`)).status).toBe(200);
    first.child.kill("SIGTERM");
    expect(await first.exited).toBe(0);
    // What lets the second start skip the Prisma CLI.
    expect(migrationsUpToDate(databaseFile, path.join(PROJECT_ROOT, "prisma", "migrations"))).toBe(true);

    const second = runMain(env);
    const baseUrl = await second.listening;
    const health = await fetch(`${baseUrl}/health`);
    expect(await health.json()).toMatchObject({ status: "ok", database: "ok", labs: SHIPPED_LAB_COUNT });
    // The labs were synced by the first start: the second finds them unchanged.
    const sync = second.logs.find((line) => Array.isArray(line["unchanged"]));
    expect(sync?.["unchanged"]).toHaveLength(SHIPPED_LAB_COUNT);
    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
    expect(second.stderr()).toBe("");
  });

  it("refuses a bad variable with one line naming it, exit code 1", async () => {
    const server = runMain({ PORT: "eighty" });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toBe('cnlab: cannot start: invalid configuration: PORT must be an integer from 0 to 65535 (0 picks a free port); got "eighty"\n');
  });

  it("refuses a bad lab file with one line giving file, line and field, exit code 1", async () => {
    const labsDir = await labsFolder({ "tiny-lab.yaml": minimalLab().replace("difficulty: beginner", "difficulty: hard") });
    const databaseFile = path.join(await tempDir(), "cnlab.db");
    const server = runMain({ PORT: "0", DATABASE_URL: `file:${databaseFile}`, CNLAB_LABS_DIR: labsDir, LOG_LEVEL: "silent" });
    expect(await server.exited).toBe(1);
    expect(server.stderr()).toBe(
      `cnlab: cannot start: ${path.join(labsDir, "tiny-lab.yaml")}:12:1 difficulty: must be one of "beginner", "intermediate", "advanced"\n`,
    );
    // Lab files are read before the database is touched.
    expect(existsSync(databaseFile)).toBe(false);
  });

  it("refuses a database path it cannot create with one line, exit code 1", async () => {
    const blocker = path.join(await tempDir(), "not-a-folder");
    await writeFile(blocker, "");
    const server = runMain({ PORT: "0", DATABASE_URL: `file:${blocker}/cnlab.db`, LOG_LEVEL: "silent" });
    expect(await server.exited).toBe(1);
    // mkdir's code for "a file is in the way" varies (EEXIST, ENOTDIR); the line names the folder either way.
    expect(server.stderr()).toMatch(new RegExp(`^cnlab: cannot start: cannot create the database folder ${blocker}: E[A-Z]+\\n$`));
  });
});
