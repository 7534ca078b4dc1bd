/** Stored events read as text give each event's JSON as stored and the fields filters read, for every lab's events. */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { layerKindsOf, serializeEvents, splitEventsText, type TraceEvent } from "../../../server/engine/index.js";
import { serializeEvent } from "../../../server/engine/trace/serialize-event.js";
import { labEngine, loadLab } from "../helpers/lab-engine.js";

const labs = readdirSync(new URL("../../../labs/", import.meta.url)).filter((f) => f.endsWith(".yaml")).map((f) => f.slice(0, -5));

let seen = 0;

describe("stored events read as text", () => {
  it.each(labs)("%s: every walkthrough event cut from the stored text is its own JSON with its seq, kind, host, namespace and device", (id) => {
    const lab = loadLab(id);
    const engine = labEngine(id);
    const events: TraceEvent[] = [];
    for (const step of lab.walkthrough) events.push(...engine.run({ host: step.host, namespace: step.namespace, command: step.command }).events);
    seen += events.length;
    const texts = splitEventsText(serializeEvents(events));
    expect(texts.map((t) => t.json)).toEqual(events.map(serializeEvent));
    expect(texts.map(({ seq, kind, host, namespace, device }) => ({ seq, kind, host, namespace, device }))).toEqual(
      events.map(({ seq, kind, host, namespace, device }) => ({ seq, kind, host, namespace, device })),
    );
    expect(texts.map(layerKindsOf)).toEqual(events.map((e) => (e.layers === null ? [] : e.layers.map((l) => l.kind))));
  });

  it("looked at hundreds of events over the labs (the walkthroughs of every lab)", () => {
    expect(seen).toBeGreaterThan(500);
  });

  it("an empty array has no events, and text that is not an event is refused", () => {
    expect(splitEventsText("[]")).toEqual([]);
    expect(() => splitEventsText('[{"nope":1}]')).toThrow(/not an event/);
  });
});
