/** Counting open trace streams per token and per session: which limit refuses, and slots given back exactly once. */
import { describe, expect, it } from "vitest";
import { TraceStreamSlots } from "../../server/sessions/trace-stream-slots.js";

describe("TraceStreamSlots", () => {
  it("lets a token open up to its limit over any sessions, then names the token's limit and how many are open", () => {
    const slots = new TraceStreamSlots({ perToken: 2, perSession: 10 });
    expect(slots.acquire("li", "s1").ok).toBe(true);
    expect(slots.acquire("li", "s2").ok).toBe(true);
    expect(slots.acquire("li", "s3")).toEqual({ ok: false, scope: "token", limit: 2, open: 2 });
    expect(slots.acquire("zhang", "s1").ok).toBe(true);
  });

  it("fills a session whoever opens the streams, then names the session's limit", () => {
    const slots = new TraceStreamSlots({ perToken: 10, perSession: 2 });
    slots.acquire("li", "s1");
    slots.acquire("teacher", "s1");
    expect(slots.acquire("zhang", "s1")).toEqual({ ok: false, scope: "session", limit: 2, open: 2 });
    expect(slots.acquire("zhang", "s2").ok).toBe(true);
  });

  it("checks the token's limit first, and a refusal takes nothing", () => {
    const slots = new TraceStreamSlots({ perToken: 1, perSession: 1 });
    slots.acquire("li", "s1");
    expect(slots.acquire("li", "s1")).toMatchObject({ ok: false, scope: "token" });
    expect([slots.openForToken("li"), slots.openOnSession("s1")]).toEqual([1, 1]);
  });

  it("gives a slot back once, however many times its connection reports the end", () => {
    const slots = new TraceStreamSlots({ perToken: 2, perSession: 2 });
    const first = slots.acquire("li", "s1");
    const second = slots.acquire("li", "s1");
    if (!first.ok || !second.ok) throw new Error("refused");
    first.release();
    first.release();
    expect([slots.openForToken("li"), slots.openOnSession("s1")]).toEqual([1, 1]);
    expect(slots.acquire("li", "s1").ok).toBe(true);
    expect(slots.acquire("li", "s1").ok).toBe(false);
    second.release();
    expect(slots.openForToken("li")).toBe(1);
  });

  it("3,000 streams opened and closed one after another are all let in and leave nothing open", () => {
    const slots = new TraceStreamSlots({ perToken: 8, perSession: 16 });
    let accepted = 0;
    for (let i = 0; i < 3000; i++) {
      const slot = slots.acquire(`token-${i % 50}`, `session-${i % 7}`);
      if (!slot.ok) continue;
      accepted++;
      slot.release();
    }
    expect(accepted).toBe(3000);
    expect(Array.from({ length: 50 }, (_, i) => slots.openForToken(`token-${i}`)).every((n) => n === 0)).toBe(true);
  });
});
