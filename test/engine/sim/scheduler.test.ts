/** The timer queue fires in (time, insertion) order, whichever of its two heaps a timer waits in. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Scheduler } from "../../../server/engine/sim/scheduler.js";

describe("scheduler", () => {
  it("fires a long wait and a short one due at the same time in the order they were set", () => {
    const s = new Scheduler();
    const fired: string[] = [];
    s.after(200_000, () => fired.push("far, set first"));
    s.after(150_000, () => s.after(50_000, () => fired.push("near, set later")));
    s.after(20, () => fired.push("link hop"));
    s.runUntil(1_000_000);
    expect(fired).toEqual(["link hop", "far, set first", "near, set later"]);
    expect(s.now).toBe(1_000_000);
  });

  it("matches one sorted queue for any mix of waits, cancellations and timers set while firing (property)", () => {
    const op = fc.record({ delay: fc.oneof(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 5_000_000 })), cancel: fc.boolean(), child: fc.option(fc.integer({ min: 0, max: 300_000 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
        const s = new Scheduler(1_000);
        const fired: { id: number; time: number }[] = [];
        const expected: { id: number; time: number; order: number }[] = [];
        let order = 0;
        let nextId = 0;
        const set = (delay: number, child: number | null, cancel: boolean) => {
          const id = nextId++;
          const time = s.now + delay;
          const mine = order++;
          const t = s.after(delay, () => {
            fired.push({ id, time: s.now });
            if (child !== null) set(child, null, false);
          });
          if (cancel) t.cancelled = true;
          else expected.push({ id, time, order: mine });
        };
        for (const o of ops) set(o.delay, o.child, o.cancel);
        s.runUntil(100_000_000);
        // Children are set while firing: rebuild the expected order from what was set, by (time, order).
        expected.sort((a, b) => a.time - b.time || a.order - b.order);
        expect(fired).toEqual(expected.map(({ id, time }) => ({ id, time })));
        expect(s.pending).toBe(0);
      }),
    );
  });
});
