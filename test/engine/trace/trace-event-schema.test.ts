/** The JSON schema and the TypeScript union describe the same events; real events validate; the published file is current. */
import { readFileSync } from "node:fs";
import { Compile } from "typebox/compile";
import type { Static } from "typebox";
import { describe, expect, it } from "vitest";
import { TraceEventSchema } from "../../../server/engine/trace/trace-event-schema.js";
import type { TraceEvent } from "../../../server/engine/trace/trace-event.js";
import { labEngine } from "../helpers/lab-engine.js";

// Compile-time: each type must be assignable to the other.
type FromSchema = Static<typeof TraceEventSchema>;
const toSchema = (e: TraceEvent): FromSchema => e;
const fromSchema = (e: FromSchema): TraceEvent => e;
void toSchema;
void fromSchema;

describe("trace event schema", () => {
  const check = Compile(TraceEventSchema);

  it("every event of a ping, a curl and a failed ping validates", () => {
    const engine = labEngine("bridge-two-containers");
    const events = [
      ...engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 2 172.17.0.3" }).events,
      ...engine.run({ host: "node1", namespace: "nginx-1", command: "curl http://172.17.0.3/" }).events,
      ...engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 4 172.17.0.99" }).events,
    ];
    expect(new Set(events.map((e) => e.kind)).size).toBeGreaterThan(12);
    for (const e of events) expect(check.Check(JSON.parse(JSON.stringify(e))), JSON.stringify([...check.Errors(e)].slice(0, 2))).toBe(true);
  });

  it("rejects an event with an unknown drop reason", () => {
    const bad = { seq: 0, time: 0, host: "h", namespace: "root", device: null, packetId: null, layers: null, summary: "x", kind: "drop", reason: "gremlins", detail: "" };
    expect(check.Check(bad)).toBe(false);
  });

  it("docs/trace-event.schema.json is the schema as the code has it", () => {
    expect(JSON.parse(readFileSync("docs/trace-event.schema.json", "utf8"))).toEqual(JSON.parse(JSON.stringify(TraceEventSchema)));
  });
});
