/** Same topology, seed and command lines: byte-identical outputs and traces. */
import { describe, expect, it } from "vitest";
import { labEngine } from "./helpers/lab-engine.js";

const script = [
  { namespace: "nginx-1", command: "ping -c 3 172.17.0.3" },
  { namespace: "root", command: "docker run -d --name web nginx" },
  { namespace: "root", command: "curl -v http://172.17.0.4/" },
  { namespace: "nginx-1", command: "ping -c 2 -W 1 172.17.0.99" },
  { namespace: "root", command: "sleep 400" },
  { namespace: "root", command: "bridge fdb show" },
];

function replay(seed: number): string {
  const engine = labEngine("bridge-two-containers", { seed });
  return JSON.stringify(script.map((s) => engine.run({ host: "node1", ...s })));
}

describe("determinism", () => {
  it("two runs of the same script serialise to the same bytes", () => {
    const a = replay(7);
    expect(a.length).toBeGreaterThan(10_000);
    expect(replay(7)).toBe(a);
  });

  it("the seed is what varies container ids and ports, nothing else", () => {
    expect(replay(8)).not.toBe(replay(7));
  });
});
