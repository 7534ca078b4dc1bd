import { defineConfig } from "vitest/config";

/**
 * The browser tests: real headless Chromium (Debian's package) driven by
 * playwright-core against a real server on a free port. One file at a time:
 * each starts its own server and browser, and the machine has two cores.
 */
export default defineConfig({
  test: {
    include: ["test-browser/**/*.test.ts"],
    globalSetup: ["test-browser/global-setup.ts"],
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 120_000,
  },
});
