import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { cpuUsed, threadCpu, type ThreadCpu } from "../../bench/thread-cpu.js";

/** Busy on this thread until `done` says so, or `limitMs` of wall time have passed; whether `done` said so. */
function spinUntil(done: () => boolean, limitMs: number): boolean {
  const end = performance.now() + limitMs;
  while (performance.now() < end) {
    let x = 0;
    for (let i = 0; i < 200_000; i++) x += Math.sqrt(i);
    if (x < 0) throw new Error("unreachable");
    if (done()) return true;
  }
  return false;
}

function since(before: ThreadCpu): ThreadCpu {
  return cpuUsed(before, threadCpu(process.pid)!);
}

describe("bench/thread-cpu: the CPU a process's threads used, from /proc", () => {
  it("counts the process's own thread as main, and a thread that lowered its priority apart", async () => {
    const before = threadCpu(process.pid);
    if (process.platform !== "linux") {
      expect(before).toBeNull();
      return;
    }
    expect(before).not.toBeNull();

    // This thread's work goes to main.
    expect(spinUntil(() => since(before!).main >= 60, 20_000)).toBe(true);

    // Two busy workers: one lowers its own priority, as the simulator's workers do (thread-priority.ts); the other does not.
    const busy = (nice: number) =>
      new Worker(
        `const { readlinkSync } = require("node:fs");
         const { setPriority } = require("node:os");
         if (${nice} > 0) setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), ${nice});
         for (;;) { let x = 0; for (let i = 0; i < 100000; i++) x += Math.sqrt(i); }`,
        { eval: true },
      );
    const workers = [busy(5), busy(0)];
    try {
      await Promise.all(workers.map((worker) => new Promise((resolve) => worker.once("online", resolve))));
      const start = threadCpu(process.pid)!;
      const deadline = performance.now() + 20_000;
      const both = () => since(start).niced >= 60 && since(start).other >= 60;
      while (!both() && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      // The niced one's time is counted apart from the other's, and neither as main.
      expect(since(start).niced).toBeGreaterThanOrEqual(60);
      expect(since(start).other).toBeGreaterThanOrEqual(60);
    } finally {
      // Ends them mid-loop.
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  });
});
