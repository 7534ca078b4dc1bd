/** Devices on their own: a veth pair's carrier follows its peer; the FDB learns, moves, ages and keeps local entries. */
import { describe, expect, it } from "vitest";
import { Fdb } from "../../../server/engine/link/fdb.js";
import type { Frame } from "../../../server/engine/link/frame.js";
import { Veth } from "../../../server/engine/link/veth.js";
import { ObjectQuota } from "../../../server/engine/object-quota.js";
import { Scheduler } from "../../../server/engine/sim/scheduler.js";
import { TraceRecorder } from "../../../server/engine/trace/trace-recorder.js";

function pair() {
  const scheduler = new Scheduler();
  const trace = new TraceRecorder(scheduler);
  const ctx = { scheduler, trace, softLinkDelay: 20, wireDelay: 150, capture: null, quota: ObjectQuota.unlimited() };
  const a = new Veth(ctx, { host: "h", name: "a" }, 2, "eth0", "02:00:00:00:00:01");
  const b = new Veth(ctx, { host: "h", name: "root" }, 5, "vethb", "02:00:00:00:00:02");
  Veth.pair(a, b);
  return { scheduler, trace, a, b };
}

const frame = { packetId: 1, src: "02:00:00:00:00:01", dst: "02:00:00:00:00:02", bytes: new Uint8Array(60), layers: [], summary: "test frame" } as unknown as Frame;

describe("veth", () => {
  it("a frame sent on one end is received on the other after the link delay", () => {
    const { scheduler, trace, a, b } = pair();
    a.adminUp = b.adminUp = true;
    const got: Frame[] = [];
    b.deliverUp = (_d, f) => got.push(f);
    a.transmit(frame);
    expect(got).toEqual([]);
    scheduler.runUntil(20);
    expect(got).toEqual([frame]);
    expect(trace.take().map((e) => `${e.kind}@${e.namespace}/${e.device}`)).toEqual(["frame-tx@a/eth0", "frame-rx@root/vethb"]);
    expect([a.stats.txPackets, b.stats.rxPackets]).toEqual([1, 1]);
  });

  it("an end has carrier only while its peer is up; a down link drops with a link-down event", () => {
    const { trace, a, b } = pair();
    a.adminUp = true;
    expect(a.operUp).toBe(false);
    a.transmit(frame);
    const [drop] = trace.take();
    expect(drop).toMatchObject({ kind: "drop", reason: "link-down", device: "eth0" });
    b.adminUp = true;
    expect(a.operUp).toBe(true);
  });
});

describe("fdb", () => {
  it("learns, moves, never moves a local entry, and ages out only learnt ones", () => {
    const f = new Fdb();
    f.addLocal("02:42:d8:e4:df:c1", "docker0", 0);
    expect(f.learn("02:42:ac:11:00:02", "veth1", 10)).toEqual({ isNew: true, previousPort: null });
    expect(f.learn("02:42:ac:11:00:02", "veth1", 20)).toBeUndefined();
    expect(f.learn("02:42:ac:11:00:02", "veth2", 30)).toEqual({ isNew: false, previousPort: "veth1" });
    expect(f.learn("02:42:d8:e4:df:c1", "veth2", 40)).toBeUndefined();
    expect(f.get("02:42:d8:e4:df:c1")?.port).toBe("docker0");
    expect(f.expire(30 + 299, 300)).toEqual([]);
    expect(f.expire(30 + 300, 300).map((e) => e.mac)).toEqual(["02:42:ac:11:00:02"]);
    expect(f.list().map((e) => e.mac)).toEqual(["02:42:d8:e4:df:c1"]);
  });
});

describe("scheduler", () => {
  it("fires timers in time order, ties in insertion order, and skips cancelled ones", () => {
    const s = new Scheduler();
    const seen: string[] = [];
    s.after(10, () => seen.push("b"));
    s.after(5, () => seen.push("a"));
    s.after(10, () => seen.push("c"));
    const t = s.after(7, () => seen.push("x"));
    t.cancelled = true;
    s.runUntil(100);
    expect(seen).toEqual(["a", "b", "c"]);
    expect(s.now).toBe(100);
  });
});
