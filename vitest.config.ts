import { configDefaults, defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The multi-instance tests run apart (npm run test:cluster, test/cluster/vitest.config.ts): they need redis-server.
    exclude: [...configDefaults.exclude, "test/cluster/**"],
    globalSetup: ["test/helpers/global-setup.ts"],
    // Route and server tests each open their own SQLite file; two workers fit the machines we run on.
    // Said outright: vitest's default (one core less than the machine has) is a single worker on two cores.
    pool: "forks",
    maxWorkers: 2,
    // The files of a worker share its modules: Fastify, Prisma, TypeBox and the engine are imported
    // and warmed up once per worker instead of once per file, which halves the suite's CPU time.
    // So a test file leaves nothing global behind: fake timers are restored in onTestFinished,
    // and the safety nets below undo stubs and mocks.
    isolate: false,
    unstubEnvs: true,
    unstubGlobals: true,
    restoreMocks: true,
    // Start-up tests spawn the server (transpile, migrate, listen): generous limits keep a loaded machine from failing them.
    testTimeout: 60_000,
    hookTimeout: 30_000,
  },
});
