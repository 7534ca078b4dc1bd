/**
 * Real cnlab processes sharing one database and one Redis, for the
 * multi-instance tests (`npm run test:cluster`). Redis is REDIS_URL when the
 * environment gives one, else a redis-server started here on a free port with
 * nothing saved; the database is CNLAB_TEST_POSTGRES_URL when given, else one
 * SQLite file the processes share.
 *
 * Without a redis-server binary and without REDIS_URL the tests cannot run:
 * `clusterSupport()` says so, loudly, and CI fails on it rather than skipping.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { createInterface } from "node:readline";
import { onTestFinished } from "vitest";
import { runMain, type MainProcess } from "../helpers/run-main.js";
import { tempDir } from "../helpers/temp-dir.js";

export const INSTRUCTOR = "cnlab_cluster-test-instructor";

export type ClusterSupport = { ok: true } | { ok: false; why: string };

/** Whether the multi-instance tests can run here: a Redis to use, or redis-server to start. */
export function clusterSupport(): ClusterSupport {
  if (process.env["REDIS_URL"]) return { ok: true };
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error === undefined && probe.status === 0) return { ok: true };
  return { ok: false, why: "no redis-server binary on PATH and no REDIS_URL: install redis-server (apt-get install redis-server) or set REDIS_URL" };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address !== null ? address.port : 0));
    });
  });
}

/** A Redis for this test: REDIS_URL, or a redis-server of its own stopped when the test ends. */
export async function startRedis(): Promise<string> {
  const given = process.env["REDIS_URL"];
  if (given) return given;
  const port = await freePort();
  const child: ChildProcess = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  onTestFinished(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  await new Promise<void>((resolve, reject) => {
    let output = "";
    createInterface({ input: child.stdout! }).on("line", (line) => {
      output += `${line}\n`;
      if (line.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
  });
  return `redis://127.0.0.1:${port}`;
}

/** The shared database's URL: CNLAB_TEST_POSTGRES_URL, or a new SQLite file. */
export async function sharedDatabase(): Promise<string> {
  const postgres = process.env["CNLAB_TEST_POSTGRES_URL"];
  if (postgres) return postgres;
  return `file:${path.join(await tempDir("cnlab-cluster-"), "cnlab.db")}`;
}

export interface Instance {
  id: string;
  url: string;
  process: MainProcess;
}

/**
 * Starts `count` instances named a, b, c … one after the other (the first
 * migrates the database; the others find it migrated), each killed when the
 * test ends.
 */
export async function startCluster(count: number, settings: { redisUrl: string; databaseUrl: string; leaseMs: number }): Promise<Instance[]> {
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const id = String.fromCharCode("a".charCodeAt(0) + i);
    const process = runMain({
      PORT: "0",
      DATABASE_URL: settings.databaseUrl,
      REDIS_URL: settings.redisUrl,
      CNLAB_INSTANCE_ID: id,
      CNLAB_LEASE_MS: String(settings.leaseMs),
      CNLAB_INSTRUCTOR_TOKEN: INSTRUCTOR,
      CNLAB_COMMAND_RATE: "100000",
      CNLAB_SESSION_RATE: "100000",
      LOG_LEVEL: "info",
    });
    instances.push({ id, url: await process.listening, process });
  }
  return instances;
}

export interface Answer<T> {
  status: number;
  body: T;
  /** The instance that ran the request (x-cnlab-instance). */
  instance: string | null;
}

export async function call<T>(baseUrl: string, method: string, url: string, body?: unknown, token = INSTRUCTOR): Promise<Answer<T>> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T, instance: response.headers.get("x-cnlab-instance") };
}
