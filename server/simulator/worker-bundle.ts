/**
 * Where a simulator worker starts from. The built server (`npm run
 * build:server`, which `npm start` runs) starts build/engine-worker.js, built
 * beside it ahead of time. From TypeScript source (npm run dev, npm test) the
 * worker's code (engine-worker.ts and the engine) is bundled into one
 * JavaScript file with esbuild, once per change of the sources (the file's
 * name carries a hash of their paths, sizes and times), so a worker starts in
 * milliseconds instead of compiling the engine itself on every start.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = import.meta.url;

/**
 * The first line of a bundle in ES module form that holds CommonJS packages:
 * they call require() (for Node's modules and the externals), which an ES
 * module does not have. The ahead-of-time build (scripts/build-server.ts) and
 * the run-time worker bundle both put it first.
 */
export const REQUIRE_SHIM = 'import { createRequire as __cnlabCreateRequire } from "node:module"; const require = __cnlabCreateRequire(import.meta.url);';

export function workerEntry(): URL {
  if (!here.endsWith(".ts")) return new URL("./engine-worker.js", here);
  const simulatorDir = path.dirname(fileURLToPath(here));
  const sources = [path.join(simulatorDir, "..", "engine"), simulatorDir];
  const hash = createHash("sha256");
  for (const dir of sources) for (const file of listFiles(dir)) {
    const { size, mtimeMs } = statSync(file);
    hash.update(`${file}\0${size}\0${mtimeMs}\n`);
  }
  const outDir = path.join(tmpdir(), "cnlab-worker-bundles");
  const outFile = path.join(outDir, `engine-worker-${hash.digest("hex").slice(0, 16)}.mjs`);
  if (!existsSync(outFile)) {
    mkdirSync(outDir, { recursive: true });
    // Written under another name first: several processes may build the same bundle at once.
    const partial = `${outFile}.${process.pid}.${Date.now()}.tmp`;
    // Loaded only here, so the built server, which never bundles at run time, does not load esbuild at start.
    const { buildSync } = createRequire(here)("esbuild") as typeof import("esbuild");
    buildSync({
      entryPoints: [path.join(simulatorDir, "engine-worker.ts")],
      outfile: partial,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      keepNames: true,
      // CommonJS packages in the bundle (yaml, for kubectl apply) call require(): ESM has none.
      banner: { js: REQUIRE_SHIM },
      sourcemap: "inline",
      logLevel: "error",
    });
    renameSync(partial, outFile);
  }
  return pathToFileURL(outFile);
}

function listFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...listFiles(full));
    else if (entry.name.endsWith(".ts")) files.push(full);
  }
  return files.sort();
}
