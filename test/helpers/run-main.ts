/**
 * Runs the built server (server/main.ts, bundled by the test setup as
 * `npm run build:server` does) as its own process with `npm start`'s node
 * arguments (read from package.json), and collects what it prints. Used by the tests that need a real
 * process: listening, signals, exit codes. The process sees only the cnlab settings the
 * test gives (see child-env.ts), whatever the shell running the tests exports.
 * When the run has a Redis (CNLAB_TEST_REDIS=1) and the test gives no
 * REDIS_URL, the process gets the Redis database of its DATABASE_URL
 * (test-redis.ts), shared with the other apps on it, as one deployment's.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { inject, onTestFinished } from "vitest";
import { PROJECT_ROOT } from "../../server/db/prepare-database.js";
import { childEnv } from "./child-env.js";
import { testRedisDatabase } from "./test-redis.js";

export interface MainProcess {
  child: ChildProcess;
  /** Parsed JSON log lines from stdout, in order. */
  logs: Array<Record<string, unknown>>;
  /** Lines of stdout that are not JSON (the generated instructor token is announced as plain text). */
  plainLines: string[];
  stderr: () => string;
  exited: Promise<number | null>;
  /** Resolves with the base URL once the server logs that it listens. */
  listening: Promise<string>;
}

/** `npm start` is `node <args> build/main.js`: the same args, on this node binary, with this run's build. */
const startArgs = (JSON.parse(readFileSync(path.join(PROJECT_ROOT, "package.json"), "utf8")) as { scripts: { start: string } }).scripts.start
  .split(" ")
  .slice(1)
  .map((arg) => (arg === "build/main.js" ? inject("serverEntry") : arg));

export function runMain(env: Record<string, string>): MainProcess {
  const redis = "REDIS_URL" in env ? null : testRedisDatabase(env["DATABASE_URL"] ?? "");
  const child = spawn(process.execPath, startArgs, {
    cwd: PROJECT_ROOT,
    env: childEnv(redis === null ? env : { ...env, REDIS_URL: redis.url }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  onTestFinished(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    if (redis === null) return;
    await exited;
    await redis.release();
  });

  const logs: Array<Record<string, unknown>> = [];
  const plainLines: string[] = [];
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));

  const listening = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (!line.startsWith("{")) {
        plainLines.push(line);
        return;
      }
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      const match = /^Server listening at (http:\/\/127\.0\.0\.1:\d+)$/.exec(String(entry["msg"]));
      if (match?.[1] !== undefined) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)));
  });
  listening.catch(() => undefined);
  return { child, logs, plainLines, stderr: () => stderr, exited, listening };
}
