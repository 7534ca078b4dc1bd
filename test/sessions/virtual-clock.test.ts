/** Virtual time between commands follows the wall clock, capped at an hour per gap, and never runs backwards. */
import { describe, expect, it } from "vitest";
import { MAX_GAP_MICROS, nextCommandTime } from "../../server/sessions/virtual-clock.js";

describe("nextCommandTime", () => {
  it("starts a session's first command at its start time", () => {
    expect(nextCommandTime(0, null, 0, 1_700_000_000_000)).toBe(0);
    expect(nextCommandTime(0, null, 5_000, 1_700_000_000_000)).toBe(5_000);
  });

  it("lets as much virtual time pass as wall-clock time passed since the last command", () => {
    // 2.5 s of reading between two commands: ARP entries age as on a real host.
    expect(nextCommandTime(10_000, { at: 0, wallMs: 1_000 }, 0, 3_500)).toBe(2_500_000);
  });

  it("never goes back before the engine's clock (the last command's traffic took longer than the wall-clock gap)", () => {
    expect(nextCommandTime(4_010_000, { at: 0, wallMs: 1_000 }, 0, 1_200)).toBe(4_010_000);
  });

  it("counts a long pause as one hour at most, and a wall clock that stepped back as no time", () => {
    expect(nextCommandTime(10_000, { at: 0, wallMs: 0 }, 0, 3 * 86_400_000)).toBe(MAX_GAP_MICROS);
    expect(nextCommandTime(10_000, { at: 50_000, wallMs: 9_000 }, 0, 8_000)).toBe(50_000);
  });
});
