/**
 * How soon `npm start` answers (npm run bench:start): the server built as
 * `npm install` builds it and started as `npm start` starts it, on a SQLite
 * file an earlier start already prepared, timed from the spawn to the first
 * 200 from /health, polled every 10 ms from this process. STARTS starts
 * (default 7), each on a copy of the prepared database, min / median / max
 * of the wall time and of the server process's CPU time (user + system, read
 * from /proc when it answers; "—" where there is no /proc). The first start,
 * which creates and migrates the database, is reported apart.
 */
import { spawn } from "node:child_process";
import { copyFile, mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { BUILD_DIR, buildServer } from "../scripts/build-server.js";
import { freePort, spread, startBuiltServer, stopProcess } from "./built-server.js";

const STARTS = Number(process.env["STARTS"] ?? 7);
const POLL_MS = 10;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ). */
const CLOCK_TICKS = Number(process.env["CLK_TCK"] ?? (await clockTicks()));

async function clockTicks(): Promise<number> {
  return new Promise((resolve) => {
    const getconf = spawn("getconf", ["CLK_TCK"]);
    let out = "";
    getconf.stdout.on("data", (d: Buffer) => (out += d.toString()));
    getconf.on("error", () => resolve(100));
    getconf.on("close", () => resolve(Number(out.trim()) || 100));
  });
}

/** The process's CPU seconds so far, or null without /proc. */
async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, inside parentheses): utime and stime are 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

interface Start {
  wallSeconds: number;
  cpuSeconds: number | null;
}

async function timeStart(entry: string, databaseFile: string): Promise<Start> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const server = startBuiltServer(entry, { port, databaseUrl: `file:${databaseFile}`, logLevel: "warn", instructorToken: "cnlab_bench-start-token-00000000" });
  try {
    for (;;) {
      if (server.exitCode !== null) throw new Error(`the server exited with ${server.exitCode}`);
      const answered = await fetch(`${url}/health`).then((r) => r.ok, () => false);
      if (answered) {
        const wallSeconds = (performance.now() - t0) / 1000;
        return { wallSeconds, cpuSeconds: server.pid === undefined ? null : await cpuSeconds(server.pid) };
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  } finally {
    await stopProcess(server);
  }
}

const f = (x: number) => x.toFixed(2);

async function main(): Promise<void> {
  await mkdir(BUILD_DIR, { recursive: true });
  const buildDir = await mkdtemp(path.join(BUILD_DIR, "bench-"));
  const dir = await mkdtemp(path.join(tmpdir(), "cnlab-bench-start-"));
  try {
    const entry = await buildServer(buildDir);
    const prepared = path.join(dir, "prepared.db");
    const first = await timeStart(entry, prepared);
    console.log(`first start, database created and migrated: ${f(first.wallSeconds)} s wall, ${first.cpuSeconds === null ? "—" : f(first.cpuSeconds)} s CPU`);
    const starts: Start[] = [];
    for (let i = 0; i < STARTS; i++) {
      const copy = path.join(dir, `start-${i}.db`);
      await copyFile(prepared, copy);
      // The WAL too, should the first server have left one behind.
      await copyFile(`${prepared}-wal`, `${copy}-wal`).catch(() => {});
      starts.push(await timeStart(entry, copy));
      const s = starts.at(-1)!;
      console.log(`  start ${i + 1}: ${f(s.wallSeconds)} s wall, ${s.cpuSeconds === null ? "—" : f(s.cpuSeconds)} s CPU`);
    }
    const wall = spread(starts.map((s) => s.wallSeconds));
    const cpu = starts.every((s) => s.cpuSeconds !== null) ? spread(starts.map((s) => s.cpuSeconds!)) : null;
    console.log(`\nnpm start on an existing database, till /health answers (${STARTS} starts, min / median / max)`);
    console.log(`${"wall".padEnd(12)} ${f(wall.min)} / ${f(wall.median)} / ${f(wall.max)} s (target ≤ 1.5 s)`);
    console.log(`${"server CPU".padEnd(12)} ${cpu === null ? "— (no /proc)" : `${f(cpu.min)} / ${f(cpu.median)} / ${f(cpu.max)} s`}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
  }
}

await main();
