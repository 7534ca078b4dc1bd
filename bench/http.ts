/**
 * Commands per second through the HTTP API (npm run bench): POST
 * /api/sessions/:id/commands on the real server against a bare Fastify 5
 * route with the same schemas, side by side, for `ip addr` (the server's
 * cost, little simulation) and `ping -c 1` (one round trip simulated, its
 * trace stored).
 *
 * Three kinds of process, so that none measures itself:
 * - the real server, built as `npm run build:server` builds it and started
 *   as `npm start` starts it, on a temporary SQLite file (token check,
 *   rate-limit bookkeeping, the session's queue, the simulator's worker, the
 *   command's row committed before the answer);
 * - the bare server (bench/http-bare-server.ts): the same route path, params,
 *   body and answer schemas, answering what the real server answered to the
 *   same command, and nothing else;
 * - the load generator (bench/http-load.ts): autocannon, started afresh for
 *   every measurement, BENCH_CONNECTIONS connections (default 50) with
 *   keep-alive, requests spread over BENCH_SESSIONS sessions (default 16).
 *
 * Each round measures, per command, the bare route and the real one for
 * BENCH_SECONDS (default 3) each, in alternating order; BENCH_ROUNDS rounds
 * (default 5) after a warm-up, and min / median / max over rounds are
 * printed, with the ratio per round. Where /proc tells (Linux), each
 * measurement also reads the CPU time the server's threads and the load
 * generator used, and a second table gives it per request (median over
 * rounds): what each of the real server's threads spends on a command (a
 * thread near a whole core sets the rate), and what a request costs the
 * machine in all (which sets it once the cores are full). The server logs at
 * BENCH_LOG_LEVEL
 * (default warn: a line per request is the operator's choice, not the
 * command path's cost). BENCH_COMMAND picks one of the commands.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { BUILD_DIR, buildServer } from "../scripts/build-server.js";
import { NODE_FLAGS, freePort, root, spread, startBuiltServer, stopProcess, waitForHealth } from "./built-server.js";
import { cpuUsed, threadCpu, type ThreadCpu } from "./thread-cpu.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 3);
const CONNECTIONS = Number(process.env["BENCH_CONNECTIONS"] ?? 50);
const SESSIONS = Number(process.env["BENCH_SESSIONS"] ?? 16);
const LOG_LEVEL = process.env["BENCH_LOG_LEVEL"] ?? "warn";
const INSTRUCTOR_TOKEN = "cnlab_bench-instructor-token-http";

const ALL_COMMANDS = [
  { label: "ip addr", body: { host: "node1", command: "ip addr" } },
  { label: "ping -c 1", body: { host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" } },
];
/** BENCH_COMMAND (a label: "ip addr", "ping -c 1") measures that one alone, to profile it. */
const COMMANDS = ALL_COMMANDS.filter((c) => process.env["BENCH_COMMAND"] === undefined || c.label === process.env["BENCH_COMMAND"]);
if (COMMANDS.length === 0) throw new Error(`BENCH_COMMAND: no command labelled "${process.env["BENCH_COMMAND"]}" (${ALL_COMMANDS.map((c) => c.label).join(", ")})`);


interface Load {
  perSecond: number;
  ok: number;
  other: number;
  errors: number;
  timeouts: number;
  p50: number;
  p99: number;
  /** The load generator's own CPU over the run, ms. */
  cpuMs: number;
  /** The server's CPU over the run, by kind of thread; null where /proc cannot tell. */
  server: ThreadCpu | null;
}

async function api<T>(url: string, token: string, method: string, urlPath: string, body?: unknown): Promise<T> {
  const response = await fetch(`${url}${urlPath}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!response.ok) throw new Error(`${method} ${urlPath}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** One autocannon run in its own process, against the server whose process is `pid`. */
function drive(url: string, pid: number, paths: string[], headers: Record<string, string>, body: unknown, seconds: number): Promise<Load> {
  const options = { url, paths, headers, body: JSON.stringify(body), connections: CONNECTIONS, seconds };
  const before = threadCpu(pid);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(root, "bench", "http-load.ts"), JSON.stringify(options)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`the load generator exited with ${code}`));
      const after = threadCpu(pid);
      const load = { ...(JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as Omit<Load, "server">), server: before === null || after === null ? null : cpuUsed(before, after) };
      if (load.other > 0 || load.errors > 0 || load.timeouts > 0) return reject(new Error(`${url}: ${load.other} answers not 2xx, ${load.errors} errors, ${load.timeouts} timeouts`));
      resolve(load);
    });
  });
}

async function main(): Promise<void> {
  await mkdir(BUILD_DIR, { recursive: true });
  const buildDir = await mkdtemp(path.join(BUILD_DIR, "bench-"));
  const dataDir = await mkdtemp(path.join(tmpdir(), "cnlab-bench-http-"));
  const children: ChildProcess[] = [];
  try {
    const entry = await buildServer(buildDir);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const server = startBuiltServer(entry, { port, databaseUrl: `file:${path.join(dataDir, "bench.db")}`, logLevel: LOG_LEVEL, instructorToken: INSTRUCTOR_TOKEN });
    children.push(server);
    await waitForHealth(url, server);

    const student = await api<{ token: string }>(url, INSTRUCTOR_TOKEN, "POST", "/api/tokens", { name: "bench student" });
    const headers = { authorization: `Bearer ${student.token}` };
    const paths: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const session = await api<{ id: string }>(url, student.token, "POST", "/api/sessions", { labId: "bridge-two-containers" });
      paths.push(`/api/sessions/${session.id}/commands`);
    }
    // The bare route answers exactly what the real one answered.
    const answers: Record<string, unknown> = {};
    for (const c of COMMANDS) answers[c.body.command] = await api(url, student.token, "POST", paths[0]!, c.body);

    const bare = spawn(process.execPath, [...NODE_FLAGS, "--import", "tsx", path.join(root, "bench", "http-bare-server.ts")], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BENCH_BARE_ANSWERS: JSON.stringify(answers) },
    });
    children.push(bare);
    const barePort = await new Promise<number>((resolve, reject) => {
      createInterface({ input: bare.stdout! }).on("line", (line) => {
        const match = /^listening (\d+)$/.exec(line);
        if (match !== null) resolve(Number(match[1]));
      });
      bare.on("exit", (code) => reject(new Error(`the bare server exited with ${code}`)));
    });
    const bareUrl = `http://127.0.0.1:${barePort}`;
    const realPid = server.pid!;
    const barePid = bare.pid!;

    console.log(
      `POST /api/sessions/:id/commands, real server (built, ${LOG_LEVEL} logs) vs bare Fastify route; autocannon in its own process, ${CONNECTIONS} connections over ${SESSIONS} sessions; ${ROUNDS} rounds of ${SECONDS} s each, interleaved`,
    );
    for (const c of COMMANDS) {
      await drive(bareUrl, barePid, paths, headers, c.body, 1);
      await drive(url, realPid, paths, headers, c.body, 1);
    }
    const results = new Map(COMMANDS.map((c) => [c.label, { real: [] as Load[], bare: [] as Load[] }]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of COMMANDS) {
        const r = results.get(c.label)!;
        // Alternate which goes first, so neither always meets the machine just after the other.
        if (round % 2 === 0) {
          r.bare.push(await drive(bareUrl, barePid, paths, headers, c.body, SECONDS));
          r.real.push(await drive(url, realPid, paths, headers, c.body, SECONDS));
        } else {
          r.real.push(await drive(url, realPid, paths, headers, c.body, SECONDS));
          r.bare.push(await drive(bareUrl, barePid, paths, headers, c.body, SECONDS));
        }
        const last = (loads: Load[]) => Math.round(loads.at(-1)!.perSecond);
        console.log(`  round ${round + 1} ${c.label.padEnd(10)} real ${last(r.real)}/s  bare ${last(r.bare)}/s`);
      }
    }

    const n = (x: number) => Math.round(x).toLocaleString("en-US");
    const triple = (s: { min: number; median: number; max: number }, f: (x: number) => string) => `${f(s.min)} / ${f(s.median)} / ${f(s.max)}`;
    const percent = (x: number) => `${Math.round(x * 100)}%`;
    console.log(`\n${"".padEnd(12)} ${"real req/s min/med/max".padEnd(28)} ${"bare req/s min/med/max".padEnd(28)} ${"real ÷ bare".padEnd(20)} real p99 ms (median)`);
    for (const c of COMMANDS) {
      const { real, bare: b } = results.get(c.label)!;
      const ratio = real.map((load, i) => load.perSecond / b[i]!.perSecond);
      console.log(
        `${c.label.padEnd(12)} ${triple(spread(real.map((l) => l.perSecond)), n).padEnd(28)} ${triple(spread(b.map((l) => l.perSecond)), n).padEnd(28)} ${triple(spread(ratio), percent).padEnd(20)} ${spread(real.map((l) => l.p99)).median}`,
      );
    }
    printCpu(results);
  } finally {
    await Promise.all(children.map((child) => stopProcess(child)));
    await rm(dataDir, { recursive: true, force: true });
    await rm(buildDir, { recursive: true, force: true });
  }
}

/** CPU µs per answered request, median over rounds: the real server's threads, the bare server, and the load generator driving each. */
function printCpu(results: Map<string, { real: Load[]; bare: Load[] }>): void {
  const perRequest = (loads: Load[], ms: (load: Load) => number | null) => {
    const values = loads.flatMap((load) => {
      const v = ms(load);
      return v === null || load.ok === 0 ? [] : [(v * 1000) / load.ok];
    });
    return values.length === 0 ? null : spread(values).median;
  };
  const us = (x: number | null) => (x === null ? "?" : Math.round(x).toString()).padStart(6);
  if ([...results.values()].every(({ real }) => real.every((load) => load.server === null))) return;
  console.log(`\nCPU µs per request, median over rounds (read from /proc: the servers' threads, and the load generator's own time)`);
  console.log(`${"".padEnd(12)} ${"real: main".padStart(10)} ${"simulator".padStart(10)} ${"other".padStart(6)} ${"total".padStart(6)} ${"load".padStart(6)}   ${"bare: server".padStart(12)} ${"load".padStart(6)}`);
  for (const [label, { real, bare }] of results) {
    const total = (load: Load) => (load.server === null ? null : load.server.main + load.server.niced + load.server.other);
    console.log(
      `${label.padEnd(12)} ${us(perRequest(real, (l) => l.server?.main ?? null)).padStart(10)} ${us(perRequest(real, (l) => l.server?.niced ?? null)).padStart(10)} ${us(perRequest(real, (l) => l.server?.other ?? null))} ${us(perRequest(real, total))} ${us(perRequest(real, (l) => l.cpuMs))}   ${us(perRequest(bare, total)).padStart(12)} ${us(perRequest(bare, (l) => l.cpuMs))}`,
    );
  }
}

await main();
