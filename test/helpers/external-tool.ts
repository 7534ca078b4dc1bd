/**
 * The real tcpdump and tshark, for the tests that hold our frame summaries and
 * capture files to what they print. On CI (CI=true) those tests always run: a
 * missing tool fails them with a line saying what to install. Elsewhere a
 * missing tool skips them, and says so on stderr rather than passing in
 * silence. A tool that is installed always runs, however slowly it answers:
 * tshark loads every dissector before it reads a frame, which on a loaded
 * machine takes seconds, so the limits below are generous.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { accessSync, constants } from "node:fs";
import path from "node:path";

/** How long one run of a tool may take before the test fails saying so. */
export const TOOL_RUN_TIMEOUT_MS = 120_000;
/** The limit for a test that runs a tool a few times. */
export const TOOL_TEST_TIMEOUT_MS = 300_000;

/** The Debian package that brings each tool (what .ci/run installs). */
const PACKAGES = { tcpdump: "tcpdump", tshark: "tshark" } as const;
export type ToolName = keyof typeof PACKAGES;

export interface ExternalTool {
  name: ToolName;
  installed: boolean;
  /** Whether the tests that need the tool are skipped: only when it is missing and this is not CI. */
  skip: boolean;
  /** Runs the tool to the end; throws if it is missing, cannot start, or outlasts TOOL_RUN_TIMEOUT_MS. */
  run(args: readonly string[], input?: Uint8Array): SpawnSyncReturns<string>;
}

const onCi = (): boolean => process.env["CI"] === "true" || process.env["CI"] === "1";

/** Found on PATH as an executable file: no need to start it (and wait for it) to know. */
function onPath(name: string): boolean {
  return (process.env["PATH"] ?? "").split(path.delimiter).some((dir) => {
    if (dir === "") return false;
    try {
      accessSync(path.join(dir, name), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export function externalTool(name: ToolName): ExternalTool {
  const installed = onPath(name);
  const missing = `${name} is not installed: the tests that compare with real ${name} need it (Debian: apt-get install ${PACKAGES[name]})`;
  const skip = !installed && !onCi();
  if (skip) console.warn(`${missing}; skipping them here, as outside CI (CI=true makes this a failure).`);
  return {
    name,
    installed,
    skip,
    run(args, input) {
      if (!installed) throw new Error(missing);
      const result = spawnSync(name, args, {
        encoding: "utf8",
        timeout: TOOL_RUN_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
        ...(input === undefined ? {} : { input }),
      });
      if (result.error !== undefined) {
        const why = (result.error as NodeJS.ErrnoException).code === "ETIMEDOUT" ? `did not finish within ${TOOL_RUN_TIMEOUT_MS / 1000} s` : result.error.message;
        throw new Error(`${name} ${args.join(" ")}: ${why}`);
      }
      return result;
    },
  };
}
