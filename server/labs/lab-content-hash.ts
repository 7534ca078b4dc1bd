/**
 * A fingerprint of a validated lab, so a restart rewrites only labs that
 * changed. It hashes the parsed content rather than the bytes: a comment or
 * whitespace edit leaves the stored lab alone, a changed value does not.
 */
import { createHash } from "node:crypto";
import type { LabFile } from "./lab-schema.js";

export function labContentHash(lab: LabFile, source: string): string {
  return createHash("sha256").update(JSON.stringify({ source, lab })).digest("hex");
}
