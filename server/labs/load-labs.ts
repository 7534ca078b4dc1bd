/**
 * Reads every lab file in a folder (*.yaml, *.yml) and returns them all
 * checked, or throws the first LabFileError: all or nothing, so the database
 * is never synced from a half-read folder.
 */
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { labContentHash } from "./lab-content-hash.js";
import type { LabFile } from "./lab-schema.js";
import { parseLabFile } from "./parse-lab-file.js";
import { prebuiltLab } from "./prebuilt-labs.js";

export interface LoadedLab {
  lab: LabFile;
  /** The file as printed in messages and stored in the database (labs/host-network.yaml). */
  source: string;
  contentHash: string;
}

const LAB_FILE = /^(.+)\.ya?ml$/;

export async function loadLabs(labsDir: string, cwd: string = process.cwd()): Promise<LoadedLab[]> {
  const names = (await readdir(labsDir, { withFileTypes: true }))
    .filter((entry) => entry.isFile() && LAB_FILE.test(entry.name))
    .map((entry) => entry.name)
    .sort();

  const loaded: LoadedLab[] = [];
  const sourceById = new Map<string, string>();
  for (const name of names) {
    const source = displayPath(path.join(labsDir, name), cwd);
    const expectedId = LAB_FILE.exec(name)?.[1];
    const text = await readFile(path.join(labsDir, name), "utf8");
    // The built server has the shipped files parsed already (prebuilt-labs.ts).
    const lab = prebuiltLab(text, expectedId) ?? parseLabFile(text, source, expectedId).lab;

    // The id must match the file name, so a clash needs two spellings of one name (x.yaml and x.yml).
    const clash = sourceById.get(lab.id);
    if (clash !== undefined) {
      throw parseLabFile(text, source, expectedId).errorAt("/id", `duplicate lab id "${lab.id}": ${clash} already defines it`);
    }
    sourceById.set(lab.id, source);
    loaded.push({ lab, source, contentHash: labContentHash(lab, source) });
  }
  return loaded;
}

/** Relative to the working directory when the file is inside it, so messages read like `labs/x.yaml`. */
function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file);
  return relative.startsWith("..") || path.isAbsolute(relative) ? file : relative.split(path.sep).join("/");
}
