/**
 * Lab files parsed ahead of time. `npm run build:server` parses and checks
 * the lab files of labs/ and writes them, keyed by their file name's id and
 * the SHA-256 of their text, to labs-parsed.json beside the built server.
 * At start the built server takes a file's parse from there when the text is
 * byte for byte the one the build read; any other file (edited since, or
 * from another CNLAB_LABS_DIR) is parsed as always. Parsing the YAML was a
 * third of a start's CPU.
 *
 * The parse was made by the same build of the same code, so it is what
 * parseLabFile would return now. From TypeScript sources (tsx, tests) there
 * is no such file and nothing is taken from it.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { LabFile } from "./lab-schema.js";

/** The file's name beside the built server. */
export const PREBUILT_LABS_FILE = "labs-parsed.json";

export function prebuiltKey(text: string, expectedId: string | undefined): string {
  return `${expectedId ?? ""}:${createHash("sha256").update(text).digest("hex")}`;
}

/** Per module URL (one in a running server; the tests ask for a build of their own). */
const prebuilt = new Map<string, Record<string, LabFile> | null>();

/** The lab the build parsed from exactly this text under this file name, if it did. */
export function prebuiltLab(text: string, expectedId: string | undefined, from: string = import.meta.url): LabFile | undefined {
  let labs = prebuilt.get(from);
  if (labs === undefined) prebuilt.set(from, (labs = readPrebuilt(from)));
  return labs?.[prebuiltKey(text, expectedId)];
}

function readPrebuilt(from: string): Record<string, LabFile> | null {
  if (from.endsWith(".ts")) return null;
  try {
    return JSON.parse(readFileSync(new URL(`./${PREBUILT_LABS_FILE}`, from), "utf8")) as Record<string, LabFile>;
  } catch {
    // Not built beside this code (or unreadable): every file is parsed.
    return null;
  }
}
