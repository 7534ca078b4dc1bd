/**
 * Syncing the catalogue: one transaction that inserts new labs, rewrites
 * changed ones, leaves unchanged ones alone and deletes labs whose file is gone.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { createPrismaClient } from "../../server/db/prisma-client.js";
import { API_SOURCE, labColumns } from "../../server/labs/lab-columns.js";
import { loadLabs } from "../../server/labs/load-labs.js";
import { syncLabs } from "../../server/labs/sync-labs.js";
import { labsFolder, minimalLab } from "../helpers/lab-files.js";
import { freshDatabase } from "../helpers/test-database.js";

async function client() {
  const prisma = createPrismaClient((await freshDatabase()).url);
  onTestFinished(() => prisma.$disconnect());
  return prisma;
}

async function load(files: Record<string, string>) {
  const dir = await labsFolder(files);
  return loadLabs(dir, dir);
}

describe("syncLabs", () => {
  it("creates, then leaves unchanged, updates and removes", async () => {
    const prisma = await client();

    const first = await syncLabs(prisma, await load({ "a-lab.yaml": minimalLab("a-lab"), "b-lab.yaml": minimalLab("b-lab") }));
    expect(first).toEqual({ created: ["a-lab", "b-lab"], updated: [], unchanged: [], removed: [] });
    const before = await prisma.lab.findUniqueOrThrow({ where: { id: "a-lab" } });

    const changedB = minimalLab("b-lab").replace("en: A tiny lab", "en: A renamed lab");
    const second = await syncLabs(prisma, await load({ "a-lab.yaml": minimalLab("a-lab"), "b-lab.yaml": changedB, "c-lab.yaml": minimalLab("c-lab") }));
    expect(second).toEqual({ created: ["c-lab"], updated: ["b-lab"], unchanged: ["a-lab"], removed: [] });
    // Unchanged means untouched: the row was not rewritten.
    expect((await prisma.lab.findUniqueOrThrow({ where: { id: "a-lab" } })).updatedAt).toEqual(before.updatedAt);
    expect((await prisma.lab.findUniqueOrThrow({ where: { id: "b-lab" } })).titleEn).toBe("A renamed lab");

    const third = await syncLabs(prisma, await load({ "c-lab.yaml": minimalLab("c-lab") }));
    expect(third).toEqual({ created: [], updated: [], unchanged: ["c-lab"], removed: ["a-lab", "b-lab"] });
    expect(await prisma.lab.findMany({ select: { id: true } })).toEqual([{ id: "c-lab" }]);
  });

  it("ignores a comment-only edit: the content hash is of the parsed lab", async () => {
    const prisma = await client();
    await syncLabs(prisma, await load({ "a-lab.yaml": minimalLab("a-lab") }));
    const report = await syncLabs(prisma, await load({ "a-lab.yaml": `# a comment\n${minimalLab("a-lab")}` }));
    expect(report.unchanged).toEqual(["a-lab"]);
  });

  it("rolls everything back when one write fails", async () => {
    const prisma = await client();
    await syncLabs(prisma, await load({ "a-lab.yaml": minimalLab("a-lab") }));
    const labs = await load({ "b-lab.yaml": minimalLab("b-lab"), "c-lab.yaml": minimalLab("c-lab") });
    // Make the second insert fail after the first succeeded inside the transaction.
    const broken = labs.map((loaded, index) => (index === 1 ? { ...loaded, lab: { ...loaded.lab, id: "b-lab" } } : loaded));

    await expect(syncLabs(prisma, broken)).rejects.toThrow();
    expect((await prisma.lab.findMany({ select: { id: true } })).map((row) => row.id)).toEqual(["a-lab"]);
  });

  it("never removes a lab instructors made through the API; a file that takes its id replaces it", async () => {
    const prisma = await client();
    const [apiLab] = await load({ "api-lab.yaml": minimalLab("api-lab") });
    await prisma.lab.create({ data: { id: "api-lab", ...labColumns(apiLab!.lab, API_SOURCE) } });

    const report = await syncLabs(prisma, await load({ "a-lab.yaml": minimalLab("a-lab") }));
    expect(report).toEqual({ created: ["a-lab"], updated: [], unchanged: [], removed: [] });
    expect((await prisma.lab.findUniqueOrThrow({ where: { id: "api-lab" } })).source).toBe(API_SOURCE);

    const takeover = await syncLabs(prisma, await load({ "a-lab.yaml": minimalLab("a-lab"), "api-lab.yaml": minimalLab("api-lab") }));
    expect(takeover.updated).toEqual(["api-lab"]);
    expect((await prisma.lab.findUniqueOrThrow({ where: { id: "api-lab" } })).source).toMatch(/api-lab\.yaml$/);
  });
});
