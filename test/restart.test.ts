/**
 * Restarting on the same database: the start path (migrate, sync, listen) run
 * again finds the labs already there and does not duplicate them, picks up an
 * edited file, and refuses a bad file without touching what is stored.
 * Each start spawns the migration CLI, so the test keeps to three of them.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { App } from "../server/app.js";
import { loadConfig } from "../server/config.js";
import { createPrismaClient } from "../server/db/prisma-client.js";
import { startServer } from "../server/start.js";
import { REPO_LABS_DIR } from "./helpers/build-app.js";
import { labsFolder } from "./helpers/lab-files.js";
import { tempDir } from "./helpers/temp-dir.js";

async function labTitles(app: App): Promise<string[]> {
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("not listening on TCP");
  const response = await fetch(`http://127.0.0.1:${address.port}/api/labs`);
  const body = (await response.json()) as { labs: Array<{ title: { en: string } }> };
  return body.labs.map((lab) => lab.title.en);
}

describe("restart on the same database", () => {
  it("does not duplicate labs, picks up an edited file, and rejects a bad one leaving the stored labs as they were", async () => {
    // A copy of the repository's labs, so the test can edit one. The database
    // folder does not exist yet: the first start creates and migrates it.
    const names = ["bridge-two-containers.yaml", "host-network.yaml", "host-to-container.yaml"];
    const files = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await readFile(path.join(REPO_LABS_DIR, name), "utf8")] as const)));
    const labsDir = await labsFolder(files);
    const databaseFile = path.join(await tempDir(), "data", "cnlab.db");
    // The settings main.ts would read from a clean environment: only these, whatever the shell exports.
    const loaded = loadConfig({
      PORT: "0",
      HOST: "127.0.0.1",
      DATABASE_URL: `file:${databaseFile}`,
      LOG_LEVEL: "silent",
      CNLAB_LABS_DIR: labsDir,
      CNLAB_INSTRUCTOR_TOKEN: "cnlab_restart-test-instructor",
    });
    if (!loaded.ok) throw new Error(loaded.message);
    const { config } = loaded;

    const first = await startServer(config, { logger: false });
    const titlesBefore = await labTitles(first);
    await first.close();
    expect(titlesBefore).toHaveLength(3);

    const second = await startServer(config, { logger: false });
    expect(await second.prisma.lab.count()).toBe(3);
    expect(await labTitles(second)).toEqual(titlesBefore);
    await second.close();

    const edited = files["host-network.yaml"]!.replace('en: "Host networking: a container without its own network"', 'en: "Host networking, revised"');
    await writeFile(path.join(labsDir, "host-network.yaml"), edited);
    const third = await startServer(config, { logger: false });
    expect(await labTitles(third)).toEqual(["Host networking, revised", titlesBefore[1], titlesBefore[2]]);
    await third.close();

    // A bad file fails the start…
    await writeFile(path.join(labsDir, "host-network.yaml"), edited.replace("version: 1", "version: 9"));
    await expect(startServer(config, { logger: false })).rejects.toThrow(/host-network\.yaml:\d+:1 version: must be 1/);
    // …and changes nothing: the last good catalogue is still stored, all three labs of it.
    const prisma = createPrismaClient(config.databaseUrl);
    const stored = await prisma.lab.findMany({ select: { titleEn: true }, orderBy: { id: "asc" } });
    await prisma.$disconnect();
    expect(stored.map((row) => row.titleEn)).toEqual([titlesBefore[1], "Host networking, revised", titlesBefore[2]]);
  });
});
