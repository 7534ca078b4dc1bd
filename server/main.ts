/**
 * Start-up: read and check the configuration, create and migrate the SQLite
 * file, build the app (which syncs the labs), listen, and shut down cleanly on
 * SIGTERM or SIGINT: stop accepting, let in-flight requests finish, close the
 * database, exit 0.
 *
 * A start that cannot succeed (bad variable, bad lab file, failed migration)
 * prints one line to stderr and exits 1.
 */
import type { App } from "./app.js";
import { loadConfig } from "./config.js";

/** Longer than any request should take; past it, a stuck shutdown is killed rather than left hanging. */
const SHUTDOWN_TIMEOUT_MS = 10_000;

async function main(): Promise<void> {
  const result = loadConfig(process.env);
  if (!result.ok) return fail(`invalid configuration: ${result.message}`);
  const { config } = result;

  // Loaded only now, so a bad variable is reported before Fastify and Prisma are even imported.
  const [{ startServer }, { DatabaseSetupError }, { LabFileError }] = await Promise.all([
    import("./start.js"),
    import("./db/prepare-database.js"),
    import("./labs/lab-file-error.js"),
  ]);
  let app: App;
  try {
    app = await startServer(config);
  } catch (err) {
    if (err instanceof LabFileError || err instanceof DatabaseSetupError) return fail(err.message);
    if (isListenError(err)) return fail(`cannot listen on ${config.host}:${config.port}: ${err.code}`);
    throw err;
  }
  handleShutdownSignals(app);
}

/** EADDRINUSE and friends: the usual reasons a port cannot be had, worth one line rather than a stack. */
function isListenError(err: unknown): err is NodeJS.ErrnoException & { code: string } {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL" || code === "ENOTFOUND";
}

function handleShutdownSignals(app: App): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    // A second signal is ignored, not taken as "force": a Ctrl-C in a terminal
    // reaches this process both directly and relayed by npm or tsx.
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, "shutting down: finishing in-flight requests");
    const timer = setTimeout(() => {
      app.log.error("shutdown took too long: exiting");
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    app.close().then(
      () => {
        clearTimeout(timer);
        app.log.info("shutdown complete");
        // Let the process end by itself so the logger flushes its last lines in
        // order; a handle someone forgot to close gets a second, not forever.
        process.exitCode = 0;
        setTimeout(() => process.exit(0), 1_000).unref();
      },
      (err: unknown) => {
        app.log.error({ err }, "shutdown failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

function fail(message: string): void {
  process.stderr.write(`cnlab: cannot start: ${message}\n`);
  process.exitCode = 1;
}

main().catch((err: unknown) => {
  process.stderr.write(`cnlab: cannot start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
