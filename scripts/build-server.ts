/**
 * Compiles the server ahead of time (`npm run build:server`, run by
 * `postinstall`): server/main.ts and the simulator's worker entry are bundled
 * with esbuild into build/, one ES module each plus the chunks they share,
 * with source maps beside them. `npm start` then runs plain JavaScript and
 * compiles nothing at start; `npm run dev` and the tests keep running the
 * TypeScript through tsx.
 *
 * The shipped lab files are parsed too, into build/labs-parsed.json
 * (server/labs/prebuilt-labs.ts).
 *
 * Packages are bundled too: resolving and loading a few hundred small
 * modules one by one (Fastify, Ajv, pino, Prisma's runtime …) was a large
 * part of a start. The few that must be found on disk stay outside (see
 * EXTERNAL). It does not type-check: `npm test` does (tsc --noEmit).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build, type BuildOptions, type Plugin } from "esbuild";
import type { LabFile } from "../server/labs/lab-schema.js";
import { parseLabFile } from "../server/labs/parse-lab-file.js";
import { PREBUILT_LABS_FILE, prebuiltKey } from "../server/labs/prebuilt-labs.js";
import { REQUIRE_SHIM } from "../server/simulator/worker-bundle.js";

/** Loaded from node_modules at run time, not bundled. */
const EXTERNAL = [
  // A native addon, found through its package's own paths.
  "better-sqlite3",
  // Only the TypeScript path (tsx) bundles the worker at run time; it has a native binary.
  "esbuild",
  // The CLI is started as a process for migrations, never imported.
  "prisma",
];

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** build/, where `npm start` finds main.js. */
export const BUILD_DIR = path.join(root, "build");

/** How the server's code is compiled, for the server and for what measures it (bundleScript). */
const SERVER_BUNDLE = {
  absWorkingDir: root,
  bundle: true,
  external: EXTERNAL,
  // Bundled CommonJS packages call require() for Node's modules and the externals; an ES module has none of its own.
  banner: { js: REQUIRE_SHIM },
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "linked",
  // No keepNames: it wraps every function expression in a call that defines its `name`, each time
  // the expression runs, and Fastify's hook runners make closures per request (7% of the request
  // thread's time under load). Names are kept anyway unless two modules' names collide; the code
  // never reads a function's or class's name (error classes set theirs), and the linked source map
  // gives stack frames their places in the sources.
  logLevel: "warning",
} as const satisfies BuildOptions;

/**
 * Bundles one script (a benchmark) as the server is bundled into `outdir`
 * and returns the path of its .mjs: what it measures of the engine then runs
 * as the built server's worker runs it, not through tsx's transform (which
 * keeps every function's name with a call each time a closure is made).
 */
export async function bundleScript(entry: string, outdir: string): Promise<string> {
  const outfile = path.join(outdir, `${path.basename(entry).replace(/\.ts$/, "")}.mjs`);
  await build({ ...SERVER_BUNDLE, entryPoints: [entry], outfile });
  return outfile;
}

/**
 * Bundles the server into `outdir` (a folder inside the repository, so the
 * server finds prisma/, labs/ and node_modules above it) and returns the
 * path of its main.js. The test setup builds into a folder of its own.
 */
export async function buildServer(outdir: string = BUILD_DIR): Promise<string> {
  // Files of an earlier build go first: a chunk left over would only mislead. Subfolders
  // (a test run's own build) are not this build's to remove.
  mkdirSync(outdir, { recursive: true });
  for (const entry of readdirSync(outdir, { withFileTypes: true })) {
    if (entry.isFile() && /\.(js|js\.map|json)$/.test(entry.name)) rmSync(path.join(outdir, entry.name));
  }
  await build({
    ...SERVER_BUNDLE,
    // The worker is its own entry: the pool starts it as engine-worker.js, next to the chunk that asks for it.
    entryPoints: { main: "server/main.ts", "engine-worker": "server/simulator/engine-worker.ts" },
    outdir,
    // Chunks in the same folder as the entries: worker-bundle.ts finds the worker relative to its own chunk.
    chunkNames: "[name]-[hash]",
    // Shared code (the engine, the protocol) goes into chunks, and main.ts's lazy imports stay lazy:
    // a bad variable is still reported before Fastify and Prisma are loaded.
    splitting: true,
    plugins: [packageDirnames(["@fastify/swagger-ui"])],
  });
  writePrebuiltLabs(outdir);
  return path.join(outdir, "main.js");
}

/**
 * Bundled packages that find files of their own through __dirname (Swagger UI
 * serves its pages and scripts from its package folder): __dirname becomes
 * that folder as resolved at run time from node_modules, which an ES module
 * bundle has no __dirname for. Bundling them rather than leaving them outside
 * lets them share the bundle's copies of their dependencies (yaml,
 * @fastify/static) instead of loading their own at start.
 */
function packageDirnames(packages: string[]): Plugin {
  return {
    name: "package-dirnames",
    setup(build) {
      for (const name of packages) {
        const packageDir = path.dirname(createRequire(path.join(root, "package.json")).resolve(`${name}/package.json`));
        const filter = new RegExp(`${packageDir.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}/.*\\.js$`);
        build.onLoad({ filter }, (args) => {
          const dir = path.relative(packageDir, path.dirname(args.path)).split(path.sep).join("/");
          const runtimeDir = `require("node:path").join(require("node:path").dirname(require.resolve(${JSON.stringify(`${name}/package.json`)})), ${JSON.stringify(dir)})`;
          return { contents: readFileSync(args.path, "utf8").replaceAll("__dirname", `(${runtimeDir})`), loader: "js" };
        });
      }
    },
  };
}

/** The shipped lab files, parsed and checked now, for the built server's start (server/labs/prebuilt-labs.ts). */
function writePrebuiltLabs(outdir: string): void {
  const labsDir = path.join(root, "labs");
  const parsed: Record<string, LabFile> = {};
  for (const name of existsSync(labsDir) ? readdirSync(labsDir).sort() : []) {
    const id = /^(.+)\.ya?ml$/.exec(name)?.[1];
    if (id === undefined) continue;
    const text = readFileSync(path.join(labsDir, name), "utf8");
    try {
      parsed[prebuiltKey(text, id)] = parseLabFile(text, `labs/${name}`, id).lab;
    } catch {
      // A file that does not parse is left to the start, which reports it.
    }
  }
  writeFileSync(path.join(outdir, PREBUILT_LABS_FILE), JSON.stringify(parsed));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const started = performance.now();
  await buildServer();
  process.stdout.write(`build:server: build/ in ${Math.round(performance.now() - started)} ms\n`);
}
