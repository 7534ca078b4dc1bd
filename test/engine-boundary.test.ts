/**
 * One door into the engine: every file outside server/engine/ imports the
 * engine through server/engine/index.ts and nothing else, and the engine
 * imports nothing from the layers above it. Tests of the engine itself
 * (test/engine/) may reach its internals; everything else may not.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "..");
const ENGINE = path.join(ROOT, "server", "engine");
const ENTRY = path.join(ENGINE, "index.ts");

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "generated" || entry.name.startsWith(".")) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(full));
    else if (/\.(ts|mts|mjs|js)$/.test(entry.name)) out.push(full);
  }
  return out;
}

/** Relative module specifiers of static imports, dynamic imports and re-exports, resolved to .ts paths. */
function imports(file: string): string[] {
  const text = readFileSync(file, "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["'](\.{1,2}\/[^"']+)["']/gm)) {
    found.push(path.resolve(path.dirname(file), m[1]!).replace(/\.js$/, ".ts"));
  }
  return found;
}

const inside = (file: string, dir: string) => file === dir || file.startsWith(dir + path.sep);

describe("the engine's one door", () => {
  it("finds the imports it checks (the scanner itself works)", () => {
    const manager = imports(path.join(ROOT, "server", "sessions", "session-manager.ts"));
    expect(manager).toContain(ENTRY);
  });

  it("files outside server/engine/ import only server/engine/index.ts of the engine", () => {
    const outside = ["server", "scripts", "bench", "test"].flatMap((dir) => sourceFiles(path.join(ROOT, dir)));
    const offenders: string[] = [];
    for (const file of outside) {
      if (inside(file, ENGINE) || inside(file, path.join(ROOT, "test", "engine"))) continue;
      for (const target of imports(file)) {
        if (inside(target, ENGINE) && target !== ENTRY) offenders.push(`${path.relative(ROOT, file)} → ${path.relative(ROOT, target)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it("the engine imports nothing from the layers above it", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(ENGINE)) {
      for (const target of imports(file)) if (!inside(target, ENGINE)) offenders.push(`${path.relative(ROOT, file)} → ${path.relative(ROOT, target)}`);
    }
    expect(offenders).toEqual([]);
  });

  it("the engine reads no clock, draws no random number of its own and does no I/O", () => {
    const offenders: string[] = [];
    for (const file of sourceFiles(ENGINE)) {
      const text = readFileSync(file, "utf8");
      for (const banned of [/\bDate\.now\s*\(/, /\bnew Date\s*\(/, /\bMath\.random\s*\(/, /\bperformance\.now\s*\(/, /["']node:(fs|net|http|worker_threads|child_process)["']/]) {
        if (banned.test(text)) offenders.push(`${path.relative(ROOT, file)}: ${banned.source}`);
      }
    }
    expect(offenders).toEqual([]);
  });
});
