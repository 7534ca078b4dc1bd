/**
 * Runs the calling thread at a lower CPU priority than the rest of the
 * process. The simulator's workers call it at start: when the machine's cores
 * are all busy (a class's worth of pings and replays), the kernel then gives
 * the thread that answers HTTP, WebSocket and database work the CPU first,
 * and the simulation the rest. An idle machine runs the workers at full speed
 * all the same: a nice value only matters when threads compete.
 *
 * Linux keeps a nice value per thread: setpriority(PRIO_PROCESS, tid) changes
 * only that thread, and /proc/thread-self names the calling thread's id.
 * Elsewhere (or in a container that forbids it) the thread keeps its priority;
 * lowering one's own priority needs no privilege on Linux.
 */
import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";

/** Lowers this thread's priority by `nice` (0 to 19); the thread id it changed, or null where it could not. */
export function lowerThreadPriority(nice: number): number | null {
  if (nice <= 0 || process.platform !== "linux") return null;
  try {
    // "<pid>/task/<tid>"
    const tid = Number(readlinkSync("/proc/thread-self").split("/").pop());
    if (!Number.isSafeInteger(tid) || tid <= 0) return null;
    setPriority(tid, nice);
    return tid;
  } catch {
    return null;
  }
}
