/**
 * Rows of a session's command log for the tests that write them through the
 * database (the command writer, the log's reads, the append trigger): made
 * so that a read which loses anything shows it. `at` is past 2^32 µs (the
 * column is a BigInt), `createdAt` has milliseconds, odd indexes run in a
 * container's namespace and even ones on the host. The events are what the
 * worker stores for a command that recorded none.
 */
import type { Interruption } from "../../server/engine/index.js";
import type { NewCommand } from "../../server/sessions/session-repository.js";
import { encodeStoredTrace } from "../../server/simulator/stored-trace.js";

/** A command that recorded no event, as the worker stores it: an index of no chunks. */
export const EMPTY_TRACE = encodeStoredTrace([]);

/** How a command the CPU budget stopped is stored. */
export const CPU_BUDGET_STOP: Interruption = { reason: "cpu-budget", afterSteps: 3, limit: 10 };

export function logRow(index: number, eventsFrom = 0, eventsTo = 0): NewCommand {
  return {
    index,
    host: "node1",
    namespace: index % 2 === 0 ? null : "nginx-1",
    command: `ping -c ${index + 1} 172.17.0.3`,
    output: `${index}\n`,
    exitCode: 0,
    at: 3_600_000_000 * 24 * 400 + index * 1_000_003,
    eventsFrom,
    eventsTo,
    events: EMPTY_TRACE,
    interruption: null,
    createdAt: new Date(Date.UTC(2026, 10, 29, 12, 0, index, 123 + index)),
  };
}
