/**
 * The multi-instance tests (`npm run test:cluster`): real server processes on
 * one database and one Redis. Apart from `npm test`: they need redis-server
 * and take a minute. One file at a time: each test runs three servers.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/cluster/**/*.test.ts"],
    globalSetup: ["test/helpers/global-setup.ts"],
    pool: "forks",
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
