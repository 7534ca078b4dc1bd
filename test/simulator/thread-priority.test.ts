/** A simulator worker lowers its own thread's priority, and only its own. */
import { readFileSync } from "node:fs";
import { getPriority } from "node:os";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { lowerThreadPriority } from "../../server/simulator/thread-priority.js";

/** The nice value of one thread of this process, from /proc (field 19 of its stat line). */
function threadNice(tid: number): number {
  const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
  // The command name (field 2) may hold spaces: count from after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(fields[16]);
}

describe.runIf(process.platform === "linux")("lowering a thread's priority", () => {
  it("changes the calling worker thread's nice value and leaves the process's main thread as it was", async () => {
    const before = getPriority(process.pid);
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      const { lowerThreadPriority } = require(workerData.module);
      parentPort.postMessage(lowerThreadPriority(7));
      setTimeout(() => {}, 2000);
    `;
    // The module is TypeScript: load it through the same loader vitest runs, by path from a tsx-registered worker.
    const worker = new Worker(`require("tsx/cjs"); ${source}`, { eval: true, workerData: { module: new URL("../../server/simulator/thread-priority.ts", import.meta.url).pathname } });
    try {
      const tid = await new Promise<number | null>((resolve, reject) => {
        worker.once("message", resolve);
        worker.once("error", reject);
      });
      expect(tid).not.toBeNull();
      expect(tid).not.toBe(process.pid);
      expect(threadNice(tid!)).toBe(before + 7);
      expect(getPriority(process.pid)).toBe(before);
    } finally {
      await worker.terminate();
    }
  });

  it("does nothing for 0", () => {
    expect(lowerThreadPriority(0)).toBeNull();
  });
});
