/**
 * Makes the lab table match the lab files, in one transaction: new labs are
 * inserted, changed ones (another content hash) rewritten, unchanged ones left
 * alone, and labs whose file is gone deleted. Either all of it happens or none.
 *
 * Labs instructors made through the API (source "api") are not the files'
 * to delete. A file that takes the id of such a lab wins: the files are the
 * deployment's own catalogue. (Existing sessions keep their own copy of the
 * topology, so they are not affected.)
 */
import type { PrismaClient } from "../db/prisma-client.js";
import { API_SOURCE, labColumns } from "./lab-columns.js";
import type { LoadedLab } from "./load-labs.js";

export interface LabSyncReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
}

export async function syncLabs(prisma: PrismaClient, labs: readonly LoadedLab[]): Promise<LabSyncReport> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.lab.findMany({ select: { id: true, contentHash: true, source: true } });
    const stored = new Map(rows.map((row) => [row.id, row.contentHash]));
    const fromFiles = rows.filter((row) => row.source !== API_SOURCE).map((row) => row.id);
    const report: LabSyncReport = { created: [], updated: [], unchanged: [], removed: [] };

    for (const loaded of labs) {
      const { lab } = loaded;
      const hash = stored.get(lab.id);
      if (hash === loaded.contentHash) {
        report.unchanged.push(lab.id);
        continue;
      }
      const columns = labColumns(lab, loaded.source, loaded.contentHash);
      if (hash === undefined) {
        await tx.lab.create({ data: { id: lab.id, ...columns } });
        report.created.push(lab.id);
      } else {
        await tx.lab.update({ where: { id: lab.id }, data: columns });
        report.updated.push(lab.id);
      }
    }

    const present = new Set(labs.map((loaded) => loaded.lab.id));
    report.removed = fromFiles.filter((id) => !present.has(id));
    if (report.removed.length > 0) await tx.lab.deleteMany({ where: { id: { in: report.removed } } });
    return report;
  });
}
