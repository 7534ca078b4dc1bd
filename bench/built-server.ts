/**
 * The built server as the benchmarks start it: `npm start`'s node flags, a
 * free port of 127.0.0.1, the classroom limits lifted (a benchmark is one
 * token sending as fast as it can: the limits would answer 429 and 409), and
 * the min / median / max the figures are given as.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
/** `npm start`'s node arguments, as package.json gives them. */
export const NODE_FLAGS = ["--max-semi-space-size=32"];

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

export interface BuiltServerSettings {
  port: number;
  databaseUrl: string;
  logLevel: string;
  instructorToken: string;
  /** More variables (REDIS_URL, CNLAB_INSTANCE_ID …). */
  env?: Record<string, string>;
}

/**
 * Starts `entry` (the built main.js); its stderr goes to ours. With
 * BENCH_CPU_PROFILE (a folder) its main thread writes a V8 CPU profile there
 * when it stops (Node refuses --cpu-prof in NODE_OPTIONS, hence the setting).
 */
export function startBuiltServer(entry: string, settings: BuiltServerSettings): ChildProcess {
  const profile = process.env["BENCH_CPU_PROFILE"];
  const profileArgs = profile === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${path.resolve(profile)}`];
  return spawn(process.execPath, [...NODE_FLAGS, ...profileArgs, entry], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
    env: {
      ...process.env,
      PORT: String(settings.port),
      HOST: "127.0.0.1",
      DATABASE_URL: settings.databaseUrl,
      LOG_LEVEL: settings.logLevel,
      CNLAB_LABS_DIR: path.join(root, "labs"),
      CNLAB_INSTRUCTOR_TOKEN: settings.instructorToken,
      CNLAB_COMMAND_RATE: "100000",
      CNLAB_SESSION_RATE: "100000",
      CNLAB_SESSION_STORAGE_MB: "1000000",
      CNLAB_TOKEN_STORAGE_MB: "1000000",
      ...settings.env,
    },
  });
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.on("exit", () => resolve());
    child.kill(signal);
  });
}

export async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the server exited with ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export function spread(values: number[]): { min: number; median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { min: sorted[0]!, median, max: sorted.at(-1)! };
}
