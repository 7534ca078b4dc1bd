/** Builds engines from the shipped lab files, so tests run the same networks students get. */
import { readFileSync } from "node:fs";
import { Engine, type EngineOptions } from "../../../server/engine/engine.js";
import type { TopologySpec } from "../../../server/engine/topology/topology-schema.js";
import { parseLabFile } from "../../../server/labs/parse-lab-file.js";
import type { LabFile } from "../../../server/labs/lab-schema.js";

export function loadLab(id: string): LabFile {
  const file = `labs/${id}.yaml`;
  return parseLabFile(readFileSync(file, "utf8"), file, id).lab;
}

export function engineFor(topology: TopologySpec, options: EngineOptions = {}): Engine {
  const e = Engine.create(topology, options);
  if (!(e instanceof Engine)) throw new Error(`invalid topology: ${JSON.stringify(e.issues)}`);
  return e;
}

export function labEngine(id: string, options: EngineOptions = {}): Engine {
  return engineFor(loadLab(id).topology as TopologySpec, options);
}
