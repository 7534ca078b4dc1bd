/**
 * `npm run test:pg`: the whole suite again on PostgreSQL (CNLAB_TEST_DATABASE,
 * default postgresql://cnlab:cnlab@127.0.0.1:5432/cnlab_test) with every app
 * on Redis (CNLAB_TEST_REDIS=1: the test setup starts a redis-server for the
 * run), as several instances of a deployment run. CNLAB_TEST_REDIS=0 runs it
 * on PostgreSQL alone. Arguments go on to vitest (`npm run test:pg -- test/db`).
 *
 * On a machine without the PostgreSQL server or without redis-server the run
 * is skipped with a banner saying what is missing and how to get it; on CI
 * (CI=true) it fails instead, so a CI run never passes without testing.
 */
import { spawn, spawnSync } from "node:child_process";
import path from "node:path";
import pg from "pg";
import { PROJECT_ROOT, describePostgresql } from "../server/db/prepare-database.js";

const DEFAULT_DATABASE = "postgresql://cnlab:cnlab@127.0.0.1:5432/cnlab_test";

const databaseUrl = process.env["CNLAB_TEST_DATABASE"]?.trim() || DEFAULT_DATABASE;
const withRedis = (process.env["CNLAB_TEST_REDIS"] ?? "1").trim() !== "0";
const onCi = process.env["CI"] === "true" || process.env["CI"] === "1";

async function missing(): Promise<string[]> {
  const problems: string[] = [];
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
  } catch (err) {
    problems.push(`PostgreSQL at ${describePostgresql(databaseUrl)} cannot be reached (${(err as Error).message}): start it and create the test role and database (docs/database.md), or point CNLAB_TEST_DATABASE at one.`);
  } finally {
    await client.end().catch(() => undefined);
  }
  if (withRedis && spawnSync("redis-server", ["--version"]).status !== 0) {
    problems.push("redis-server is not installed (Debian: apt-get install redis-server); CNLAB_TEST_REDIS=0 runs on PostgreSQL without Redis.");
  }
  return problems;
}

const problems = await missing();
if (problems.length > 0) {
  const bar = "!".repeat(78);
  const verdict = onCi ? "FAILED (CI=true: this run may not be skipped)" : "SKIPPED: nothing was tested on PostgreSQL + Redis";
  process.stderr.write(`\n${bar}\n!! npm run test:pg ${verdict}\n${problems.map((p) => `!! ${p}`).join("\n")}\n${bar}\n\n`);
  process.exit(onCi ? 1 : 0);
}

const vitest = path.join(PROJECT_ROOT, "node_modules", ".bin", "vitest");
const child = spawn(vitest, ["run", ...process.argv.slice(2)], {
  cwd: PROJECT_ROOT,
  stdio: "inherit",
  env: { ...process.env, CNLAB_TEST_DATABASE: databaseUrl, CNLAB_TEST_REDIS: withRedis ? "1" : "0" },
});
child.on("exit", (code, signal) => process.exit(signal === null ? (code ?? 1) : 1));
