import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Route and server tests each open their own SQLite file; two workers fit the machines we run on.
    pool: "forks",
    testTimeout: 20_000,
    hookTimeout: 30_000,
  },
});
