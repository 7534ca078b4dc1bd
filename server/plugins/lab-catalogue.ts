/**
 * Loads every lab file and syncs the catalogue table to them while the app
 * boots, so a running server always serves the labs its folder holds. A bad
 * file rejects the boot with its LabFileError and leaves the table untouched.
 */
import fp from "fastify-plugin";
import { loadLabs, type LoadedLab } from "../labs/load-labs.js";
import { syncLabs } from "../labs/sync-labs.js";

export interface LabCataloguePluginOptions {
  labsDir: string;
  /** The folder's labs when the caller has read them already (start.ts does, to fail before migrating). */
  labs?: readonly LoadedLab[];
}

export default fp<LabCataloguePluginOptions>(
  async function labCatalogue(app, options) {
    const labs = options.labs ?? (await loadLabs(options.labsDir));
    const report = await syncLabs(app.prisma, labs);
    app.log.info({ labsDir: options.labsDir, ...report }, `labs synced: ${labs.length} in ${options.labsDir}`);
  },
  { name: "lab-catalogue", fastify: "5.x", dependencies: ["db"] },
);
