/**
 * ping -i 0, as iputils runs it for root: the next probe leaves as soon as
 * the previous one is answered, the statistics end with ipg/ewma; with
 * nothing answering, probes leave every 10 ms (MININTERVAL).
 */
import { describe, expect, it } from "vitest";
import { labEngine } from "../helpers/lab-engine.js";

const NGINX1 = { host: "node1", namespace: "nginx-1" } as const;

describe("ping -i 0", () => {
  it("sends each probe as soon as the previous reply arrives and prints ipg/ewma", () => {
    const engine = labEngine("bridge-two-containers");
    engine.run({ ...NGINX1, command: "ping -c 1 172.17.0.3" });
    const r = engine.run({ ...NGINX1, command: "ping -c 20 -i 0 172.17.0.3" });
    expect(r.exitCode).toBe(0);
    expect(r.output).toMatch(/20 packets transmitted, 20 received, 0% packet loss, time \d+ms/);
    expect(r.output).toMatch(/rtt min\/avg\/max\/mdev = [\d.]+\/[\d.]+\/[\d.]+\/[\d.]+ ms, ipg\/ewma [\d.]+\/[\d.]+ ms/);
    // Back to back: the whole run takes about twenty round trips, far less than twenty 10 ms waits.
    expect(r.time - (r.events[0]?.time ?? 0)).toBeLessThan(20 * 10_000);
  });

  it("with nothing answering, probes leave every 10 ms", () => {
    const engine = labEngine("bridge-two-containers");
    const r = engine.run({ ...NGINX1, command: "ping -c 5 -i 0 -W 1 172.17.0.99" });
    expect(r.exitCode).toBe(1);
    expect(r.output).toMatch(/5 packets transmitted, 0 received/);
    expect(r.output).toMatch(/time 4\dms/);
  });
});
