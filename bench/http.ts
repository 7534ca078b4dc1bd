/**
 * Commands per second through the HTTP API (npm run bench): POST
 * /api/sessions/:id/commands on the real app (bearer token, rate-limit
 * bookkeeping, the session queue, the engine, the command row committed to
 * SQLite before the answer), against a bare Fastify route on the same
 * machine in the same run that takes the same JSON body and answers a JSON
 * body of the same shape through the same schemas, and nothing else.
 *
 * Both are driven over real HTTP on loopback, with keep-alive connections
 * and a bounded number of requests in flight, by a client in the same
 * process (so it shares the server's cores; the ratio is what matters). They
 * alternate in one-second rounds and the figures are medians over rounds.
 *
 * BENCH_ROUNDS, BENCH_CONCURRENCY (requests in flight) and BENCH_SESSIONS
 * (sessions the requests are spread over) change the defaults: 7, 16, 16.
 */
import http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import Fastify from "fastify";
import { buildApp } from "../server/app.js";
import { migrateDatabase } from "../server/db/prepare-database.js";
import { CommandBody, runCommandSchema } from "../server/routes/sessions/schema.js";

/** Rounds of (baseline, commands), each side driven for ROUND_SECONDS; the figures are medians over rounds. */
const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 7);
const ROUND_SECONDS = 1;
const WARMUP_SECONDS = 1;
/** Requests in flight at once. */
const CONCURRENCY = Number(process.env["BENCH_CONCURRENCY"] ?? 16);
/** Sessions the requests are spread over (students working at once); requests of one session queue behind each other. */
const SESSIONS = Number(process.env["BENCH_SESSIONS"] ?? 16);
const INSTRUCTOR_TOKEN = "cnlab_bench-instructor-token-http";
const COMMAND = { host: "node1", command: "ip route" };

interface Target {
  name: string;
  port: number;
  paths: string[];
  headers: Record<string, string>;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(port: number, urlPath: string, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { agent, host: "127.0.0.1", port, path: urlPath, method: "POST", headers: { ...headers, "content-type": "application/json", "content-length": Buffer.byteLength(body) } },
      (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

/** Keeps CONCURRENCY requests in flight for `seconds`; returns the completed ones per second. */
async function drive(target: Target, seconds: number): Promise<number> {
  const body = JSON.stringify(COMMAND);
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  let failed = 0;
  const worker = async (n: number) => {
    const urlPath = target.paths[n % target.paths.length]!;
    while (performance.now() < deadline) {
      const status = await post(target.port, urlPath, target.headers, body);
      if (status === 200) done++;
      else failed++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, (_, n) => worker(n)));
  const elapsed = (performance.now() - started) / 1000;
  if (failed > 0) throw new Error(`${target.name}: ${failed} requests failed`);
  return done / elapsed;
}

async function bareServer() {
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
  app.post("/bare", { schema: { body: CommandBody, response: { 200: runCommandSchema.response[200] } } }, async (request) => ({
    index: 0,
    output: `default via 10.0.0.1 dev eth0\n${request.body.command.length}\n`,
    exitCode: 0,
    events: { from: 0, to: 0 },
    at: 0,
    time: 10_000,
    interruption: null,
  }));
  await app.listen({ port: 0, host: "127.0.0.1" });
  return app;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function portOf(address: ReturnType<http.Server["address"]>): number {
  if (address === null || typeof address === "string") throw new Error("not listening on TCP");
  return address.port;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "cnlab-bench-http-"));
  try {
    const databaseUrl = `file:${path.join(dir, "bench.db")}`;
    await migrateDatabase(databaseUrl);
    const app = await buildApp(
      { databaseUrl, labsDir: "labs", logLevel: "silent", instructorToken: INSTRUCTOR_TOKEN, commandRate: 1_000_000, sessionRate: 1_000_000 },
      { logger: false },
    );
    await app.listen({ port: 0, host: "127.0.0.1" });
    const student = (
      await app.inject({ method: "POST", url: "/api/tokens", headers: { authorization: `Bearer ${INSTRUCTOR_TOKEN}` }, payload: { name: "bench student" } })
    ).json<{ token: string }>();
    const headers = { authorization: `Bearer ${student.token}` };
    const paths: string[] = [];
    for (let i = 0; i < SESSIONS; i++) {
      const created = await app.inject({ method: "POST", url: "/api/sessions", headers, payload: { labId: "bridge-two-containers" } });
      paths.push(`/api/sessions/${created.json<{ id: string }>().id}/commands`);
    }
    const bare = await bareServer();

    const api: Target = { name: "POST /api/sessions/:id/commands", port: portOf(app.server.address()), paths, headers };
    const baseline: Target = { name: "bare Fastify route", port: portOf(bare.server.address()), paths: ["/bare"], headers: {} };

    // Alternate the two in short rounds, so neither gets the machine in a better
    // moment, and take medians: a shared machine has busy seconds.
    await drive(baseline, WARMUP_SECONDS);
    await drive(api, WARMUP_SECONDS);
    const rounds: { api: number; bare: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const bare = await drive(baseline, ROUND_SECONDS);
      rounds.push({ bare, api: await drive(api, ROUND_SECONDS) });
    }
    const apiRate = median(rounds.map((r) => r.api));
    const bareRate = median(rounds.map((r) => r.bare));
    const ratio = median(rounds.map((r) => r.api / r.bare));
    const commands = await app.prisma.sessionCommand.count();

    const line = (name: string, rate: number) => console.log(`${name.padEnd(40)} ${Math.round(rate).toLocaleString("en-US").padStart(12)} requests/s`);
    line(`commands: ${api.name}`, apiRate);
    line(`baseline: ${baseline.name}`, bareRate);
    console.log(
      `${"commands / baseline".padEnd(40)} ${`${Math.round(ratio * 100)}%`.padStart(12)}  (target ≥ 50%; median of ${ROUNDS} rounds; ${CONCURRENCY} in flight over ${SESSIONS} sessions, \`${COMMAND.command}\`, ${commands.toLocaleString("en-US")} commands logged)`,
    );

    agent.destroy();
    await bare.close();
    await app.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
