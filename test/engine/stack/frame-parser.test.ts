/** Parsing bytes gives back exactly what the builder encoded, for every kind of frame a session produces. */
import { describe, expect, it } from "vitest";
import type { Frame } from "../../../server/engine/link/frame.js";
import { parseFrame } from "../../../server/engine/stack/frame-parser.js";
import { labEngine } from "../helpers/lab-engine.js";

describe("frame parser", () => {
  it("round-trips ARP, ICMP echo and errors, and TCP with data", () => {
    const frames: Frame[] = [];
    const engine = labEngine("bridge-two-containers", { capture: (_d, f) => frames.push(f) });
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    engine.run({ host: "node1", namespace: "nginx-1", command: "curl http://172.17.0.3/" });
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -t 1 10.168.0.9" });
    const kinds = new Set<string>();
    for (const f of frames) {
      const p = parseFrame(f.bytes.slice(), f.packetId);
      expect(p.ok).toBe(true);
      if (!p.ok) continue;
      expect(p.value.payload).toEqual(f.payload);
      expect(p.value.layers).toEqual(f.layers);
      kinds.add(f.payload.kind === "arp" ? "arp" : f.payload.l4.kind);
    }
    expect([...kinds].sort()).toEqual(["arp", "icmp-echo", "icmp-error", "tcp"]);
  });
  it("reports bytes it cannot parse", () => {
    expect(parseFrame(new Uint8Array(10), 1)).toMatchObject({ ok: false });
  });
});
