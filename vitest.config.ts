import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Route and server tests each open their own SQLite file; two workers fit the machines we run on.
    pool: "forks",
    // Start-up tests spawn the server (transpile, migrate, listen): generous limits keep a loaded machine from failing them.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
