/**
 * The worker's scheduler: a short task that arrives while long ones run is
 * served next, and long tasks share the thread evenly.
 */
import { describe, expect, it } from "vitest";
import { SliceScheduler } from "../../server/simulator/slice-scheduler.js";

/**
 * The scheduler's clock in these tests: a step "runs" for exactly its ms, so
 * what the scheduler picks does not depend on how busy the machine is (with
 * the real clock, a step descheduled by the OS counted as a long one).
 */
const clock = { ms: 0 };
const testClock = () => clock.ms;

/** A task of `steps` steps, each taking `ms` on the scheduler's clock, that logs its name at each step. */
function* busy(name: string, steps: number, ms: number, log: string[]): Generator<void, void, void> {
  for (let i = 0; i < steps; i++) {
    clock.ms += ms;
    log.push(name);
    yield;
  }
}

function run(scheduler: SliceScheduler, name: string, steps: number, ms: number, log: string[]): Promise<void> {
  return new Promise((resolve, reject) =>
    scheduler.add(
      function* () {
        yield* busy(name, steps, ms, log);
        resolve();
      },
      reject,
    ),
  );
}

describe("the slice scheduler", () => {
  it("serves a short task that arrives while two long ones run before either long one goes on", async () => {
    const scheduler = new SliceScheduler({ sliceMs: 2, turnMs: 4 }, testClock);
    const log: string[] = [];
    const long1 = run(scheduler, "long1", 40, 1, log);
    const long2 = run(scheduler, "long2", 40, 1, log);
    // Let the long ones run a few turns (the scheduler lets the event loop in after each), then a short one arrives.
    for (let turn = 0; turn < 4; turn++) await new Promise((resolve) => setImmediate(resolve));
    const arrivedAt = log.length;
    expect(arrivedAt).toBeGreaterThan(4);
    const short = run(scheduler, "short", 3, 1, log);
    await short;
    const afterArrival = log.slice(arrivedAt);
    // All three of its steps come before any more than one slice (two steps) of the long ones.
    expect(afterArrival.indexOf("short")).toBeLessThanOrEqual(2);
    expect(afterArrival.lastIndexOf("short") - afterArrival.indexOf("short")).toBe(2);
    await Promise.all([long1, long2]);
    // The two long ones shared the thread: neither finished long before the other.
    const firstEnd = Math.min(log.lastIndexOf("long1"), log.lastIndexOf("long2"));
    expect(log.length - 1 - firstEnd).toBeLessThan(10);
  });

  it("runs tasks that have had the same time in the order they came", async () => {
    const scheduler = new SliceScheduler({ sliceMs: 1_000, turnMs: 1_000 }, testClock);
    const log: string[] = [];
    await Promise.all(["a", "b", "c"].map((name) => run(scheduler, name, 1, 0, log)));
    expect(log).toEqual(["a", "b", "c"]);
  });
});
