/**
 * serializeEvent is hand-written per kind for speed, so these tests hold it to
 * JSON.stringify: every event the labs produce parses back to exactly itself,
 * in the documented field order, and strings that need escapes survive.
 */
import { readdirSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { serializeEvent } from "../../../server/engine/trace/serialize-event.js";
import { TRACE_EVENT_KINDS, type TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { isSolutionAnswer } from "../../../server/labs/task-schema.js";
import { labEngine, loadLab } from "../helpers/lab-engine.js";

const labs = readdirSync("labs").filter((f) => f.endsWith(".yaml")).map((f) => f.replace(/\.yaml$/, ""));

/** Every event of every lab's walkthrough and reference solution, and of FDB entries ageing out afterwards. */
function labEvents(): TraceEvent[] {
  const events: TraceEvent[] = [];
  for (const id of labs) {
    const lab = loadLab(id);
    const engine = labEngine(id);
    const commands = [...lab.walkthrough, ...(lab.solution ?? []).flatMap((s) => (isSolutionAnswer(s) ? [] : [s]))];
    for (const step of commands) events.push(...engine.run({ host: step.host, namespace: step.namespace, command: step.command }).events);
    events.push(...engine.advanceTo(engine.now + 600_000_000));
  }
  return events;
}

const roundTrip = (e: TraceEvent): unknown => JSON.parse(JSON.stringify(e));

describe("serializeEvent", () => {
  const events = labEvents();

  it("writes every lab event as JSON that parses back to the event", () => {
    const kinds = new Set(events.map((e) => e.kind));
    // The labs between them produce every kind, so every case of the serialiser's switch is checked here.
    expect(TRACE_EVENT_KINDS.filter((k) => !kinds.has(k))).toEqual([]);
    for (const e of events) expect(JSON.parse(serializeEvent(e))).toEqual(roundTrip(e));
  });

  it("puts the fields in the schema's order, the kind's own fields after the common ones and layers last", () => {
    const e = events.find((x) => x.kind === "bridge-forward" && x.layers !== null)!;
    expect(Object.keys(JSON.parse(serializeEvent(e)))).toEqual(["seq", "time", "kind", "host", "namespace", "device", "packetId", "summary", "bridge", "ingress", "egress", "mac", "layers"]);
  });

  it("serialises a frame's shared layers once and gives every event of that frame the same text for them", () => {
    const frameEvents = events.filter((e) => e.layers !== null && e.layers === events.find((x) => x.layers !== null)!.layers);
    expect(frameEvents.length).toBeGreaterThan(1);
    const layerTexts = new Set(frameEvents.map((e) => serializeEvent(e).slice(serializeEvent(e).indexOf(',"layers":'))));
    expect(layerTexts.size).toBe(1);
  });

  const base = { seq: 7, time: 1_500_000, host: "node1", namespace: "root", device: null, packetId: null, layers: null } as const;
  const tricky = ['say "hi"', "back\\slash", "line\nbreak\ttab\u0001", "lone \ud800 surrogate", "pair \ud83d\ude00 emoji", "中文 — dash", "\u2028\u2029", ""];

  it("escapes what JSON must escape in every string field", () => {
    for (const s of tricky) {
      const made: TraceEvent[] = [
        { ...base, kind: "drop", summary: s, reason: "no-route", detail: s },
        { ...base, kind: "bridge-flood", device: s, summary: s, bridge: s, ingress: s, egress: [s, s] },
        { ...base, kind: "fdb-age-out", summary: s, bridge: s, port: s, mac: s, idleSeconds: 300.5 },
        { ...base, kind: "netfilter", summary: s, table: "filter", chain: s, rule: `-A FORWARD -m comment --comment "${s}" -j DROP`, target: "DROP" },
        { ...base, kind: "tunnel-user", summary: s, process: s, action: "lookup", detail: s },
        { ...base, kind: "encap", summary: s, tunnel: "vxlan", outer: s, vni: null, inner: s },
      ];
      for (const e of made) {
        const text = serializeEvent(e);
        expect(text).toBe(JSON.stringify(JSON.parse(text)));
        expect(JSON.parse(text)).toEqual(roundTrip(e));
      }
    }
  });

  it("matches JSON.stringify for any string and number (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), fc.string(), fc.double(), fc.integer(), (summary, detail, idle, seq) => {
        const e: TraceEvent = { ...base, seq, kind: "fdb-age-out", summary, bridge: detail, port: detail, mac: summary, idleSeconds: idle };
        expect(JSON.parse(serializeEvent(e))).toEqual(roundTrip(e));
      }),
    );
  });
});
