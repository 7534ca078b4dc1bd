/**
 * How a checked lab is stored in the Lab table: catalogue fields as columns,
 * the whole lab as JSON. One function, so labs from files (sync-labs.ts) and
 * labs from the API (api-labs.ts) are stored alike.
 */
import { labContentHash } from "./lab-content-hash.js";
import type { LabFile } from "./lab-schema.js";

/** The `source` of a lab an instructor created through the API, not from a file. */
export const API_SOURCE = "api";

export function labColumns(lab: LabFile, source: string, contentHash: string = labContentHash(lab, source)) {
  return {
    formatVersion: lab.version,
    titleEn: lab.title.en,
    titleZh: lab.title.zh,
    summaryEn: lab.summary.en,
    summaryZh: lab.summary.zh,
    difficulty: lab.difficulty,
    tags: JSON.stringify(lab.tags),
    chapter: lab.chapter ?? null,
    definition: JSON.stringify(lab),
    source,
    contentHash,
  };
}
