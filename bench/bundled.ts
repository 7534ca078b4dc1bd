/**
 * Runs a benchmark of the engine as the server runs the engine:
 * `node --import tsx bench/bundled.ts bench/run.ts [args]` bundles the script
 * with the server's build options (scripts/build-server.ts's bundleScript),
 * then runs the bundle in a child process with this process's node flags
 * (less tsx's loader) and arguments. Through tsx the same engine code ran
 * about a third slower: its transform keeps every function's name with a
 * call each time a closure is made, which the server's bundle does not.
 *
 * The child's young generation is the worker's too (CNLAB_WORKER_YOUNG_MB's
 * default; V8 makes a young generation of three semi-spaces), whatever
 * --max-semi-space-size this process was given: a command's events die
 * young, and how often that generation is collected is a good part of what
 * recording costs. Measured with a larger one than the worker has, the
 * figures would be the worker's on a better day (a third faster for a long
 * ping recorded, with 64 MB semi-spaces against the worker's 32 MB young
 * generation of before).
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { BUILD_DIR, bundleScript } from "../scripts/build-server.js";
import { DEFAULT_SIMULATOR_CONFIG } from "../server/simulator/simulator-config.js";

const SEMI_SPACE_FLAG = "--max-semi-space-size";
/** The worker's young generation (engine-pool.ts, workerResourceLimits) as a semi-space size. */
const semiSpaceMb = Math.max(1, Math.floor(DEFAULT_SIMULATOR_CONFIG.workerYoungMb / 3));

/** This process's node flags, without the loader that ran this file, with the worker's young generation. */
function nodeFlags(): string[] {
  const flags: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--import" && argv[i + 1]?.startsWith("tsx")) i++;
    else if (!argv[i]!.startsWith("--import=tsx") && !argv[i]!.startsWith(SEMI_SPACE_FLAG)) flags.push(argv[i]!);
  }
  return [...flags, `${SEMI_SPACE_FLAG}=${semiSpaceMb}`];
}

const [entry, ...args] = process.argv.slice(2);
if (entry === undefined) {
  console.error("usage: node --import tsx bench/bundled.ts <script.ts> [args…]");
  process.exit(2);
}
await mkdir(BUILD_DIR, { recursive: true });
const dir = await mkdtemp(path.join(BUILD_DIR, "bench-"));
let code = 1;
try {
  const bundle = await bundleScript(entry, dir);
  const child = spawn(process.execPath, [...nodeFlags(), bundle, ...args], { stdio: "inherit" });
  // Ctrl-C reaches the child too (same process group); it cleans up its namespaces and exits.
  process.on("SIGINT", () => {});
  code = await new Promise<number>((resolve) => child.on("exit", (c, signal) => resolve(c ?? (signal === null ? 1 : 128))));
} finally {
  await rm(dir, { recursive: true, force: true });
}
process.exit(code);
