/** One token's replays share a bucket of bytes per second; other tokens have their own. */
import { describe, expect, it } from "vitest";
import { ReplayBandwidth } from "../../server/sessions/replay-bandwidth.js";

describe("replay bandwidth per token", () => {
  it("lets a token send its burst at once, then asks it to wait as long as the overdraft takes to refill", () => {
    let now = 0;
    const bandwidth = new ReplayBandwidth(1_000, () => now);
    const a = bandwidth.pacer("a");
    expect(a.take(600)).toBe(0);
    expect(a.take(400)).toBe(0);
    // 500 bytes over: half a second at 1,000 bytes/s.
    expect(a.take(500)).toBe(500);
    now += 500;
    expect(a.take(100)).toBe(100);
  });

  it("shares one bucket among a token's streams, and not with other tokens", () => {
    let now = 0;
    const bandwidth = new ReplayBandwidth(1_000, () => now);
    const first = bandwidth.pacer("abuser");
    const second = bandwidth.pacer("abuser");
    expect(first.take(1_000)).toBe(0);
    expect(second.take(1_000)).toBe(1_000);
    expect(bandwidth.pacer("student").take(1_000)).toBe(0);
    now += 3_000;
    // Refilled, but never past one second's worth.
    expect(first.take(1_000)).toBe(0);
    expect(first.take(1)).toBe(1);
  });
});
