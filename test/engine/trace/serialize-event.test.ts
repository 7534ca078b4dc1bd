import { describe, expect, it } from "vitest";
import { serializeEvent } from "../../../server/engine/trace/serialize-event.js";
import { labEngine } from "../helpers/lab-engine.js";

describe("serializeEvent", () => {
  it("gives the same JSON as JSON.stringify, with layers shared between events serialised once", () => {
    const r = labEngine("bridge-two-containers").run({ host: "node1", namespace: "nginx-1", command: "ping -c 2 172.17.0.3" });
    expect(r.events.length).toBeGreaterThan(20);
    for (const e of r.events) expect(JSON.parse(serializeEvent(e))).toEqual(JSON.parse(JSON.stringify(e)));
  });
});
