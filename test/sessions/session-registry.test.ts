/**
 * The live-session registry: one task at a time per session, in order, while
 * sessions run side by side; least recently used dropped past the cap; idle
 * ones dropped by the sweep; busy ones never.
 */
import { describe, expect, it, onTestFinished } from "vitest";
import { SessionRegistry, type RegistryOptions } from "../../server/sessions/session-registry.js";

function registry(options: Partial<RegistryOptions<string>> = {}) {
  let clock = 0;
  const evicted: string[] = [];
  const r = new SessionRegistry<string>({
    idleMs: 1_000,
    maxLive: 10,
    sweepMs: 60_000,
    now: () => clock,
    onEvict: (id, reason) => evicted.push(`${id}:${reason}`),
    ...options,
  });
  onTestFinished(() => r.close());
  return { r, evicted, advance: (ms: number) => (clock += ms) };
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 1));

describe("SessionRegistry", () => {
  it("runs the tasks of one session one at a time, in the order given, and other sessions' meanwhile", async () => {
    const { r } = registry();
    const trail: string[] = [];
    const task = (name: string, ms: number) => async () => {
      trail.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      trail.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([r.enqueue("a", task("a1", 20)), r.enqueue("a", task("a2", 1)), r.enqueue("b", task("b1", 5))]);
    expect(results).toEqual(["a1", "a2", "b1"]);
    expect(trail.indexOf("a2 start")).toBeGreaterThan(trail.indexOf("a1 end"));
    // b did not wait for a.
    expect(trail.indexOf("b1 end")).toBeLessThan(trail.indexOf("a1 end"));
  });

  it("goes on with a session's next task when one fails", async () => {
    const { r } = registry();
    const failed = r.enqueue("a", async () => {
      throw new Error("boom");
    });
    const next = r.enqueue("a", async () => "next");
    await expect(failed).rejects.toThrow("boom");
    await expect(next).resolves.toBe("next");
    await tick();
    expect(r.busy("a")).toBe(false);
  });

  it("past the cap drops the least recently used session, not one just used", () => {
    const { r, evicted } = registry({ maxLive: 2 });
    r.set("a", "A");
    r.set("b", "B");
    r.get("a");
    r.set("c", "C");
    expect(evicted).toEqual(["b:capacity"]);
    expect([r.peek("a"), r.peek("b"), r.peek("c")]).toEqual(["A", undefined, "C"]);
  });

  it("the sweep drops sessions idle for idleMs, unless they have work queued", async () => {
    const { r, evicted, advance } = registry({ idleMs: 1_000 });
    r.set("idle", "I");
    r.set("busy", "B");
    r.set("fresh", "F");
    advance(1_000);
    r.get("fresh");
    let release = () => {};
    const running = r.enqueue("busy", () => new Promise<void>((resolve) => (release = resolve)));
    r.sweep();
    expect(evicted).toEqual(["idle:idle"]);
    await tick();
    release();
    await running;
    await tick();
    r.sweep();
    expect(evicted).toEqual(["idle:idle", "busy:idle"]);
    expect(r.peek("fresh")).toBe("F");
  });

  it("keeps a busy session past the cap rather than drop it mid-task", async () => {
    const { r, evicted } = registry({ maxLive: 1 });
    r.set("a", "A");
    let release = () => {};
    const running = r.enqueue("a", () => new Promise<void>((resolve) => (release = resolve)));
    r.set("b", "B");
    expect(evicted).toEqual([]);
    expect(r.size).toBe(2);
    await tick();
    release();
    await running;
  });

  it("delete(id, value) leaves an entry that was replaced meanwhile", () => {
    const { r } = registry();
    r.set("a", "old");
    r.set("a", "new");
    r.delete("a", "old");
    expect(r.peek("a")).toBe("new");
    r.delete("a");
    expect(r.peek("a")).toBeUndefined();
  });
});
