/** The capture hook sees every frame on every device, so a session can be exported as pcap. */
import { describe, expect, it } from "vitest";
import type { Device } from "../../server/engine/link/device.js";
import { decodeFrame } from "../../server/engine/wire/packet.js";
import type { DecodedFrame } from "../../server/engine/wire/packet.js";
import { chapterTopology } from "./helpers/chapter-topology.js";
import { engineFor, labEngine } from "./helpers/lab-engine.js";
import { headerLines, linuxCapture } from "./helpers/linux-capture.js";

describe("frame capture", () => {
  it("records each hop of a ping with its real bytes, in time order", () => {
    const seen: { where: string; dir: string; time: number; bytes: Uint8Array }[] = [];
    const engine = labEngine("bridge-two-containers", {
      capture: (dev: Device, frame, direction, time, promiscuousOnly) => {
        if (!promiscuousOnly) seen.push({ where: `${dev.ns.name}/${dev.name}`, dir: direction, time, bytes: frame.bytes });
      },
    });
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    const frameEvents = r.events.filter((e) => e.kind === "frame-tx" || e.kind === "frame-rx");
    expect(seen).toHaveLength(frameEvents.length);
    expect(seen.map((s) => `${s.where}:${s.dir}`)).toEqual(frameEvents.map((e) => `${e.namespace}/${e.device}:${e.kind === "frame-tx" ? "tx" : "rx"}`));
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.time).toBeGreaterThanOrEqual(seen[i - 1]!.time);
    // The bytes decode to what the trace showed.
    frameEvents.forEach((e, i) => expect(decodeFrame(seen[i]!.bytes)).toEqual(e.layers));
  });
});

describe("what tcpdump -i docker0 sees (test/fixtures/linux/capture-ping-docker0*.pcap)", () => {
  const docker0 = (promiscuous: boolean) => {
    const frames: DecodedFrame[] = [];
    const engine = engineFor(chapterTopology(), {
      capture: (dev, frame, _direction, _time, promiscuousOnly) => {
        if (dev.name === "docker0" && (promiscuous || !promiscuousOnly)) frames.push(frame.layers);
      },
    });
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    return headerLines(frames);
  };

  it("promiscuous (tcpdump's default): the whole exchange the bridge carried between nginx-1 and nginx-2", () => {
    const linux = headerLines(linuxCapture("capture-ping-docker0"));
    expect(linux).toHaveLength(4);
    expect(docker0(true)).toEqual(linux);
  });

  it("not promiscuous (tcpdump -p): only the flooded ARP request", () => {
    const linux = headerLines(linuxCapture("capture-ping-docker0-p"));
    expect(linux).toHaveLength(1);
    expect(docker0(false)).toEqual(linux);
  });
});
