/**
 * Reads the lab catalogue from the database. Takes the Prisma client as a
 * parameter (no module-level client), so tests pass their own.
 *
 * Writes happen only in sync-labs.ts, at start-up.
 */
import type { PrismaClient } from "../db/prisma-client.js";
import type { Difficulty, LabFile } from "./lab-schema.js";

export interface LabSummary {
  id: string;
  title: { en: string; zh: string };
  summary: { en: string; zh: string };
  difficulty: Difficulty;
  tags: string[];
  chapter?: string;
}

/** The catalogue in teaching order: by chapter reference, labs without one last, then by id. */
export async function listLabs(prisma: PrismaClient): Promise<LabSummary[]> {
  const rows = await prisma.lab.findMany({
    orderBy: [{ chapter: { sort: "asc", nulls: "last" } }, { id: "asc" }],
    select: { id: true, titleEn: true, titleZh: true, summaryEn: true, summaryZh: true, difficulty: true, tags: true, chapter: true },
  });
  return rows.map((row) => ({
    id: row.id,
    title: { en: row.titleEn, zh: row.titleZh },
    summary: { en: row.summaryEn, zh: row.summaryZh },
    // Only sync-labs.ts writes these columns, from a lab that passed the schema.
    difficulty: row.difficulty as Difficulty,
    tags: JSON.parse(row.tags) as string[],
    ...(row.chapter === null ? {} : { chapter: row.chapter }),
  }));
}

/** The whole lab as its file defines it, or null when there is no such lab. */
export async function findLab(prisma: PrismaClient, id: string): Promise<LabFile | null> {
  const row = await prisma.lab.findUnique({ where: { id }, select: { definition: true } });
  return row === null ? null : (JSON.parse(row.definition) as LabFile);
}
