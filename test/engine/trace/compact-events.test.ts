/**
 * The compact stored form must give back, byte for byte, the JSON
 * serializeEvent writes: over every event the labs produce, for strings that
 * need escapes and numbers that are not small integers, and it must refuse a
 * batch that is cut short or names what it does not hold.
 */
import { readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeEventsCompact, encodeEventsCompact } from "../../../server/engine/trace/compact-events.js";
import { EVENT_FIELDS } from "../../../server/engine/trace/event-fields.js";
import { frameBytesOf } from "../../../server/engine/trace/frame-layers.js";
import { serializeEvent } from "../../../server/engine/trace/serialize-event.js";
import { TRACE_EVENT_KINDS, type TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { labEngine, loadLab } from "../helpers/lab-engine.js";

function walkthroughEvents(): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const id of readdirSync("labs").filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, ""))) {
    const engine = labEngine(id);
    for (const step of loadLab(id).walkthrough) events.push(...engine.run({ host: step.host, namespace: step.namespace, command: step.command }).events);
    events.push(...engine.advanceTo(engine.now + 600_000_000));
  }
  return events;
}

const base = { seq: 7, time: 1_500_000, host: "node1", namespace: "root", device: null, packetId: null, layers: null } as const;

describe("compact trace events", () => {
  it("reads every kind's fields from the schema, in serializeEvent's order", () => {
    expect(Object.keys(EVENT_FIELDS).sort()).toEqual([...TRACE_EVENT_KINDS].sort());
    expect(EVENT_FIELDS["route-lookup"].map((f) => `${f.name}:${f.type}`)).toEqual([
      "destination:str",
      "table:str",
      "route:str?",
      "nextHop:str?",
      "outDevice:str?",
      "reason:str",
      "candidates:num",
    ]);
    expect(EVENT_FIELDS["bridge-flood"].at(-1)).toEqual({ name: "egress", type: "strs" });
    expect(EVENT_FIELDS["encap"].find((f) => f.name === "vni")?.type).toBe("num?");
    expect(EVENT_FIELDS["arp-request"].at(-1)).toEqual({ name: "unicast", type: "bool" });
  });

  it("gives back serializeEvent's text for every lab's events, a thousand at a time, in a fraction of the bytes", () => {
    const events = walkthroughEvents();
    expect(new Set(events.map((e) => e.kind)).size).toBeGreaterThan(20);
    let jsonBytes = 0;
    let compactBytes = 0;
    for (let i = 0; i < events.length; i += 1000) {
      const batch = events.slice(i, i + 1000);
      const compact = encodeEventsCompact(batch);
      const decoded = decodeEventsCompact(compact);
      const texts = decoded.map((e) => e.json);
      expect(texts).toEqual(batch.map(serializeEvent));
      expect(decoded.map(({ seq, kind, host, namespace, device }) => ({ seq, kind, host, namespace, device }))).toEqual(
        batch.map(({ seq, kind, host, namespace, device }) => ({ seq, kind, host, namespace, device })),
      );
      jsonBytes += texts.reduce((n, t) => n + t.length, 0);
      compactBytes += compact.byteLength;
    }
    expect(compactBytes * 3).toBeLessThan(jsonBytes);
  });

  it("keeps strings that need escapes, and numbers that are not small integers", () => {
    const tricky = ['say "hi"', "back\\slash", "line\nbreak\ttab\u0001", "lone \ud800 surrogate", "pair \ud83d\ude00 emoji", "中文 — dash", "\u2028\u2029", ""];
    const made: TraceEvent[] = tricky.flatMap((s, i): TraceEvent[] => [
      { ...base, seq: 2 * i, kind: "bridge-flood", device: s, summary: s, bridge: s, ingress: s, egress: [s, "", s] },
      { ...base, seq: 2 * i + 1, time: 10 - i, kind: "fdb-age-out", summary: s, bridge: s, port: s, mac: s, idleSeconds: [300.5, -1, 2 ** 60, 0, Number.NaN][i % 5]! },
    ]);
    made.push({ ...base, seq: 100, kind: "encap", packetId: 2 ** 52, summary: "x", tunnel: "vxlan", outer: "o", vni: null, inner: "i" });
    made.push({ ...base, seq: 101, kind: "arp-request", summary: "x", targetIp: "1", senderIp: "2", senderMac: "3", unicast: true });
    const decoded = decodeEventsCompact(encodeEventsCompact(made));
    expect(decoded.map((e) => e.json)).toEqual(made.map(serializeEvent));
    // The fields a filter reads are the strings themselves, escapes undone.
    expect(decoded.map((e) => e.device)).toEqual(made.map((e) => e.device));
  });

  it("keeps lone surrogates whether or not two of them meet where the chunk's texts are joined", () => {
    // The device and the summary are consecutive texts: a high half at the end of one and a low half at the start of the next join into a pair.
    const halves: TraceEvent = { ...base, kind: "bridge-flood", device: "ends high \ud83d", summary: "\ude00 starts low", bridge: "br", ingress: "in", egress: [] };
    const alone: TraceEvent = { ...halves, seq: 1, device: "only \udfff here", summary: "fine" };
    for (const made of [[halves], [alone], [halves, alone]]) {
      const decoded = decodeEventsCompact(encodeEventsCompact(made));
      expect(decoded.map((e) => e.json)).toEqual(made.map(serializeEvent));
      expect(decoded.map((e) => e.device)).toEqual(made.map((e) => e.device));
    }
  });

  it("matches serializeEvent for any string and number (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), fc.double(), fc.nat(), fc.integer({ min: 0, max: 2 ** 40 }), (summary, detail, idle, seq, time) => {
        const e: TraceEvent = { ...base, seq, time, kind: "fdb-age-out", summary, bridge: detail, port: detail, mac: summary, idleSeconds: idle };
        expect(decodeEventsCompact(encodeEventsCompact([e, { ...e, seq: seq + 1 }])).map((d) => d.json)).toEqual([serializeEvent(e), serializeEvent({ ...e, seq: seq + 1 })]);
      }),
    );
  });

  it("keeps a frame's bytes once, however many events are about it, in place of its layers' JSON", () => {
    const events = labEngine("bridge-two-containers").run({ host: "node1", namespace: "nginx-1", command: "ping -c 10 172.17.0.3" }).events;
    const frames = [...new Set(events.map((e) => e.layers).filter((l) => l !== null))];
    expect(events.filter((e) => e.layers !== null).length).toBeGreaterThan(2 * frames.length);
    // The same events with layers that were not decoded from bytes: those are stored as their JSON.
    const copies = new Map(frames.map((l) => [l, structuredClone(l)]));
    const copied = events.map((e) => (e.layers === null ? e : { ...e, layers: copies.get(e.layers)! }));
    const withBytes = encodeEventsCompact(events);
    const withJson = encodeEventsCompact(copied);
    expect(decodeEventsCompact(withBytes).map((e) => e.json)).toEqual(events.map(serializeEvent));
    expect(decodeEventsCompact(withJson).map((e) => e.json)).toEqual(events.map(serializeEvent));
    const layersJson = frames.reduce((n, l) => n + JSON.stringify(l).length, 0);
    const frameBytes = frames.reduce((n, l) => n + frameBytesOf(l)!.length, 0);
    expect(frameBytes * 4).toBeLessThan(layersJson);
    // Each frame once: what the bytes save is the layers' JSON less the frames' bytes (and a few length bytes).
    expect(withJson.byteLength - withBytes.byteLength).toBeGreaterThanOrEqual(layersJson - frameBytes - 4 * frames.length);
  });

  it("makes what a device says of a frame again from the frame's bytes, and keeps any other summary as it is", () => {
    const events = labEngine("bridge-two-containers").run({ host: "node1", namespace: "nginx-1", command: "ping -c 10 172.17.0.3" }).events;
    const frameEvents = events.filter((e) => e.kind === "frame-tx" || e.kind === "frame-rx");
    expect(frameEvents.length).toBeGreaterThan(40);
    const blob = encodeEventsCompact(events);
    const stored = new TextDecoder("latin1").decode(blob);
    // No frame event's summary is in the batch, not even the frame's words without the device's.
    expect(frameEvents.filter((e) => stored.includes(e.summary.slice(e.summary.indexOf(" IP ") + 1)))).toEqual([]);
    expect(decodeEventsCompact(blob).map((e) => e.json)).toEqual(events.map(serializeEvent));

    // Summaries that are not the device's words for the frame, each by a little: kept as they are.
    const tx = frameEvents.find((e) => e.kind === "frame-tx" && e.device === "eth0")!;
    const rx = frameEvents.find((e) => e.kind === "frame-rx")!;
    const last = tx.summary.at(-1) === "4" ? "5" : "4";
    const others: TraceEvent[] = [
      { ...tx, summary: tx.summary.slice(0, -1) + last },
      { ...tx, summary: tx.summary.replace("eth0 sends", "eth1 sends") },
      { ...tx, summary: tx.summary.replace("eth0 sends", "eth0 sent") },
      { ...tx, summary: tx.summary.replace("eth0 sends", "eth0 sends ") },
      { ...rx, summary: rx.summary.replace(" receives ", " sends ") },
      { ...tx, device: null },
      { ...tx, layers: structuredClone(tx.layers) },
      { ...tx, kind: "frame-rx" },
    ];
    const otherBlob = encodeEventsCompact(others);
    expect(decodeEventsCompact(otherBlob).map((e) => e.json)).toEqual(others.map(serializeEvent));
    const otherStored = new TextDecoder("latin1").decode(otherBlob);
    for (const e of others.slice(0, 5)) expect(otherStored).toContain(e.summary);
  });

  it("holds an empty batch", () => {
    expect(decodeEventsCompact(encodeEventsCompact([]))).toEqual([]);
  });

  it("refuses a batch cut short, or with bytes left over", () => {
    const compact = encodeEventsCompact([{ ...base, kind: "drop", summary: "s", reason: "no-route", detail: "d" }]);
    expect(() => decodeEventsCompact(compact.subarray(0, compact.length - 1))).toThrow(/ends inside a number|text/);
    const longer = new Uint8Array(compact.length + 1);
    longer.set(compact);
    expect(() => decodeEventsCompact(longer)).toThrow(/left after the events/);
  });

  it("refuses an event seq or time that is not an integer", () => {
    expect(() => encodeEventsCompact([{ ...base, seq: 1.5, kind: "drop", summary: "s", reason: "no-route", detail: "d" }])).toThrow(/seq is not an integer/);
  });
});
