/**
 * Makes the lab table match the lab files, in one transaction: new labs are
 * inserted, changed ones (another content hash) rewritten, unchanged ones left
 * alone, and labs whose file is gone deleted. Either all of it happens or none.
 */
import type { PrismaClient } from "../db/prisma-client.js";
import type { LoadedLab } from "./load-labs.js";

export interface LabSyncReport {
  created: string[];
  updated: string[];
  unchanged: string[];
  removed: string[];
}

export async function syncLabs(prisma: PrismaClient, labs: readonly LoadedLab[]): Promise<LabSyncReport> {
  return prisma.$transaction(async (tx) => {
    const stored = new Map((await tx.lab.findMany({ select: { id: true, contentHash: true } })).map((row) => [row.id, row.contentHash]));
    const report: LabSyncReport = { created: [], updated: [], unchanged: [], removed: [] };

    for (const loaded of labs) {
      const { lab } = loaded;
      const hash = stored.get(lab.id);
      if (hash === loaded.contentHash) {
        report.unchanged.push(lab.id);
        continue;
      }
      const columns = {
        formatVersion: lab.version,
        titleEn: lab.title.en,
        titleZh: lab.title.zh,
        summaryEn: lab.summary.en,
        summaryZh: lab.summary.zh,
        difficulty: lab.difficulty,
        tags: JSON.stringify(lab.tags),
        chapter: lab.chapter ?? null,
        definition: JSON.stringify(lab),
        source: loaded.source,
        contentHash: loaded.contentHash,
      };
      if (hash === undefined) {
        await tx.lab.create({ data: { id: lab.id, ...columns } });
        report.created.push(lab.id);
      } else {
        await tx.lab.update({ where: { id: lab.id }, data: columns });
        report.updated.push(lab.id);
      }
    }

    const present = new Set(labs.map((loaded) => loaded.lab.id));
    report.removed = [...stored.keys()].filter((id) => !present.has(id));
    if (report.removed.length > 0) await tx.lab.deleteMany({ where: { id: { in: report.removed } } });
    return report;
  });
}
