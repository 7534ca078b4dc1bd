/**
 * Runs a benchmark of the engine as the server runs the engine:
 * `node --import tsx bench/bundled.ts bench/run.ts [args]` bundles the script
 * with the server's build options (scripts/build-server.ts's bundleScript),
 * then runs the bundle in a child process with this process's node flags
 * (less tsx's loader) and arguments. Through tsx the same engine code ran
 * about a third slower: its transform keeps every function's name with a
 * call each time a closure is made, which the server's bundle does not.
 */
import { spawn } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { BUILD_DIR, bundleScript } from "../scripts/build-server.js";

/** This process's node flags, without the loader that ran this file. */
function nodeFlags(): string[] {
  const flags: string[] = [];
  const argv = process.execArgv;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--import" && argv[i + 1]?.startsWith("tsx")) i++;
    else if (!argv[i]!.startsWith("--import=tsx")) flags.push(argv[i]!);
  }
  return flags;
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
