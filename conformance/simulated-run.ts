/**
 * A scenario in the simulator, in this process through the engine's one
 * door: built with the seed the lab script used (so both have the same MACs),
 * every frame every device sends or receives captured with its direction,
 * the commands run one after another, timers let run, then the tables read.
 */
import { Engine, type TopologySpec } from "../server/engine/index.js";
import type { CapturedFrame } from "./captured-frame.js";
import type { Scenario } from "./scenarios.js";
import { simulatedTables, type Tables } from "./tables.js";

export interface RunResult {
  frames: CapturedFrame[];
  tables: Tables;
  outputs: string[];
}

type Capture = NonNullable<Parameters<typeof Engine.create>[1]>["capture"];

const LAYER3_KINDS = new Set(["tun", "ipip"]);

export function runSimulated(scenario: Scenario, topology: TopologySpec = scenario.topology): RunResult {
  const frames: CapturedFrame[] = [];
  const capture: Capture = (dev, frame, direction) => {
    const layer3 = LAYER3_KINDS.has(dev.kind);
    const bytes = layer3 ? frame.bytes.slice(14) : frame.bytes.slice();
    frames.push({ host: dev.ns.host, namespace: dev.ns.name, device: dev.name, direction: direction === "tx" ? "out" : "in", to: direction === "tx" ? null : packetType(bytes, dev.mac, layer3), bytes, layer3 });
  };
  const engine = Engine.create(topology, { seed: 1, capture });
  if (!(engine instanceof Engine)) throw new Error(`${scenario.id}: invalid topology: ${engine.issues.map((i) => i.message).join("; ")}`);
  const outputs: string[] = [];
  for (const c of scenario.commands) outputs.push(engine.run({ host: c.host, ...(c.namespace === undefined ? {} : { namespace: c.namespace }), command: c.command }).output);
  engine.advanceTo(engine.now + (scenario.settleSeconds ?? 0) * 1_000_000 + 500_000);
  return { frames, tables: simulatedTables(engine), outputs };
}

/** The kernel's packet type for a frame received on a device with this MAC. */
function packetType(bytes: Uint8Array, mac: string, layer3: boolean): CapturedFrame["to"] {
  if (layer3) return "host";
  const dst = [...bytes.subarray(0, 6)].map((b) => b.toString(16).padStart(2, "0")).join(":");
  if (dst === "ff:ff:ff:ff:ff:ff") return "broadcast";
  if ((bytes[0]! & 1) === 1) return "multicast";
  return dst === mac || mac === "00:00:00:00:00:00" ? "host" : "otherhost";
}
