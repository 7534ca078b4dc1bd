/**
 * A real Redis for tests: a redis-server of its own on a free port of
 * 127.0.0.1, nothing saved to disk, stopped when the test file ends. On CI
 * (CI=true) the tests that need it always run, and a missing redis-server
 * fails them saying what to install; elsewhere they are skipped with a line
 * on stderr, never in silence. `sharedRedis` starts one for a whole describe
 * block; a test that stops its Redis starts its own with `startRedis`.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";

const onCi = (): boolean => process.env["CI"] === "true" || process.env["CI"] === "1";

const installed = spawnSync("redis-server", ["--version"], { encoding: "utf8" }).status === 0;

/** Whether the tests that need a Redis are skipped: only when redis-server is missing and this is not CI. */
export const skipWithoutRedis = !installed && !onCi();
if (skipWithoutRedis) {
  console.warn("redis-server is not installed: the tests that share limits and check Redis need it (Debian: apt-get install redis-server); skipping them here, as outside CI (CI=true makes this a failure).");
}

export interface TestRedis {
  url: string;
  port: number;
  /** Stops the server (kill, then waits for the process to end): a test of Redis going away calls it. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface StartRedisOptions {
  /** A port to listen on (a test bringing a stopped Redis back where it was); a free one when absent. */
  port?: number;
  /** Numbered databases (Redis's default is 16). */
  databases?: number;
}

/** Starts a redis-server and resolves once it answers PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  if (!installed) throw new Error("redis-server is not installed (Debian: apt-get install redis-server)");
  const port = options.port ?? (await freePort());
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"];
  if (options.databases !== undefined) args.push("--databases", String(options.databases));
  const child: ChildProcess = spawn("redis-server", args, {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `redis://127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  try {
    for (let tries = 0; ; tries++) {
      if (child.exitCode !== null) throw new Error(`redis-server exited at start: ${stderr.trim()}`);
      try {
        await probe.connect();
        if ((await probe.ping()) === "PONG") break;
      } catch {
        if (tries > 100) throw new Error(`redis-server on port ${port} did not answer: ${stderr.trim()}`);
        probe.disconnect();
        await sleep(50);
      }
    }
  } finally {
    probe.disconnect();
  }
  let stopped = false;
  return {
    url,
    port,
    async stop() {
      if (stopped) return;
      stopped = true;
      child.kill("SIGKILL");
      await exited;
    },
  };
}

/** One Redis for the tests of the enclosing describe block: started before the first, stopped after the last. */
export function sharedRedis(): () => TestRedis {
  let redis: TestRedis | undefined;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  return () => {
    if (redis === undefined) throw new Error("the shared Redis starts in beforeAll: use it inside a test or a hook");
    return redis;
  };
}
