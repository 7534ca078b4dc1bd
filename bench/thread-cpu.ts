/**
 * CPU time a process has used, per thread, read from /proc (Linux; null
 * elsewhere). bench/http.ts reads it around each measurement to tell where
 * a command's CPU goes: a thread busy a whole core sets a server's rate,
 * and once the two cores (shared by the servers and the load generator) are
 * full, so does what a request costs in all, whichever thread spends it.
 *
 * Threads are told apart by what /proc says of them: the main thread's id
 * is the process's; the simulator's workers run at a lower priority
 * (server/simulator/thread-priority.ts), so a thread with a positive nice
 * value is one of them; the rest are V8's and libuv's helpers (garbage
 * collection, the thread pool's inflates) and the database's checkpointer.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

export interface ThreadCpu {
  /** Milliseconds of CPU, user and system. */
  main: number;
  /** The threads running at a lower priority: the simulator's workers. */
  niced: number;
  other: number;
}

let ticksPerSecond: number | null = null;

/** The kernel's clock ticks per second, in which /proc gives CPU times. */
function clockTicks(): number {
  if (ticksPerSecond === null) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The process's CPU so far by kind of thread; null where /proc cannot tell (not Linux, the process gone). */
export function threadCpu(pid: number): ThreadCpu | null {
  if (process.platform !== "linux") return null;
  const msPerTick = 1000 / clockTicks();
  const cpu: ThreadCpu = { main: 0, niced: 0, other: 0 };
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  for (const task of tasks) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${task}/stat`, "utf8");
    } catch {
      continue; // It ended while we looked.
    }
    // Fields after the command name (which may hold spaces), from the third: state, ppid, … utime is the 14th, stime the 15th, nice the 19th.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ms = (Number(fields[11]) + Number(fields[12])) * msPerTick;
    if (Number(task) === pid) cpu.main += ms;
    else if (Number(fields[16]) > 0) cpu.niced += ms;
    else cpu.other += ms;
  }
  return cpu;
}

/** What `after` used more than `before`. */
export function cpuUsed(before: ThreadCpu, after: ThreadCpu): ThreadCpu {
  return { main: after.main - before.main, niced: after.niced - before.niced, other: after.other - before.other };
}
