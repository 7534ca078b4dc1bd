import { describe, expect, it } from "vitest";
import { INITIAL_PLAYER, playerReducer, tickMs, type PlayerAction, type PlayerState } from "../../web/src/trace/trace-player.js";
import { decisionOf, matchesFilter, EMPTY_FILTER, type TraceEvent } from "../../web/src/trace/trace-event.js";

const run = (state: PlayerState, ...actions: PlayerAction[]) => actions.reduce(playerReducer, state);

describe("the trace player", () => {
  it("loads a command's events with nothing selected, then steps forward and back within them", () => {
    let s = run(INITIAL_PLAYER, { type: "load", count: 3 });
    expect(s).toMatchObject({ count: 3, cursor: -1, playing: false });
    s = run(s, { type: "step", by: 1 }, { type: "step", by: 1 });
    expect(s.cursor).toBe(1);
    s = run(s, { type: "step", by: 5 });
    expect(s.cursor).toBe(2);
    s = run(s, { type: "step", by: -10 });
    expect(s.cursor).toBe(0);
  });

  it("plays hop by hop on ticks and stops on the last event", () => {
    let s = run(INITIAL_PLAYER, { type: "load", count: 3 }, { type: "play" });
    expect(s).toMatchObject({ cursor: 0, playing: true });
    s = run(s, { type: "tick" });
    expect(s).toMatchObject({ cursor: 1, playing: true });
    s = run(s, { type: "tick" });
    expect(s).toMatchObject({ cursor: 2, playing: false });
    s = run(s, { type: "tick" });
    expect(s.cursor).toBe(2);
  });

  it("starts over when play is pressed on the last event, and pauses with toggle", () => {
    let s = run(INITIAL_PLAYER, { type: "load", count: 4 }, { type: "last" });
    expect(s.cursor).toBe(3);
    s = run(s, { type: "toggle" });
    expect(s).toMatchObject({ cursor: 0, playing: true });
    s = run(s, { type: "toggle" });
    expect(s.playing).toBe(false);
  });

  it("stops playing when the student steps or seeks by hand", () => {
    const playing = run(INITIAL_PLAYER, { type: "load", count: 10 }, { type: "play" });
    expect(run(playing, { type: "step", by: 1 })).toMatchObject({ cursor: 1, playing: false });
    expect(run(playing, { type: "seek", index: 7 })).toMatchObject({ cursor: 7, playing: false });
  });

  it("keeps the cursor when live events grow the list, and clamps it when the list shrinks", () => {
    let s = run(INITIAL_PLAYER, { type: "load", count: 5 }, { type: "seek", index: 3 });
    s = run(s, { type: "grow", count: 9 });
    expect(s).toMatchObject({ count: 9, cursor: 3 });
    s = run(s, { type: "grow", count: 2 });
    expect(s.cursor).toBe(1);
  });

  it("does nothing on play with an empty list", () => {
    const s = run(INITIAL_PLAYER, { type: "load", count: 0 }, { type: "play" }, { type: "step", by: 1 });
    expect(s).toMatchObject({ cursor: -1, playing: false });
  });

  it("changes speed in steps and ticks faster at higher speeds", () => {
    let s = run(INITIAL_PLAYER, { type: "faster" }, { type: "faster" });
    expect(s.speed).toBe(4);
    s = run(s, { type: "faster" }, { type: "faster" }, { type: "faster" });
    expect(s.speed).toBe(8);
    s = run(s, { type: "speed", speed: 0.25 }, { type: "slower" });
    expect(s.speed).toBe(0.25);
    expect(tickMs(2)).toBeLessThan(tickMs(1));
  });
});

const flood: TraceEvent = {
  seq: 6, time: 20, kind: "bridge-flood", host: "node1", namespace: "root", device: "docker0", packetId: 2,
  summary: "docker0 floods broadcast ff:ff:ff:ff:ff:ff from veth9c02e56 to vethb4963f3",
  bridge: "docker0", ingress: "veth9c02e56", egress: ["vethb4963f3"],
  // Only the layer kinds: the filter reads nothing else.
  layers: [{ kind: "ethernet" }, { kind: "arp" }] as unknown as TraceEvent["layers"],
};

describe("the trace list's filter and decisions", () => {
  it("keeps an event when every given list matches it", () => {
    expect(matchesFilter(flood, EMPTY_FILTER)).toBe(true);
    expect(matchesFilter(flood, { ...EMPTY_FILTER, devices: ["docker0"], protocols: ["arp"] })).toBe(true);
    expect(matchesFilter(flood, { ...EMPTY_FILTER, protocols: ["icmp"] })).toBe(false);
    expect(matchesFilter(flood, { ...EMPTY_FILTER, kinds: ["frame-tx"] })).toBe(false);
    expect(matchesFilter(flood, { ...EMPTY_FILTER, text: "FLOODS" })).toBe(true);
    expect(matchesFilter({ ...flood, device: null }, { ...EMPTY_FILTER, devices: ["docker0"] })).toBe(false);
  });

  it("says where docker0 flooded the frame", () => {
    expect(decisionOf(flood)).toEqual({ label: "fdb", text: "docker0: no single port for the destination, flooded from veth9c02e56 to vethb4963f3" });
    expect(decisionOf({ ...flood, kind: "drop", reason: "not-for-host", detail: "172.17.0.3 is not a local address" } as TraceEvent)?.text).toBe("not-for-host: 172.17.0.3 is not a local address");
    expect(decisionOf({ ...flood, kind: "frame-tx", length: 42 } as TraceEvent)).toBeNull();
  });
});
