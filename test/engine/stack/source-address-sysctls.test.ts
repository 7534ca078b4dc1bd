/**
 * The per-interface keys that decide source addresses, held to captures from
 * Linux (test/fixtures/linux/capture-arp-announce-*, capture-accept-local-*):
 * nginx-1 holds 10.5.5.5 on lo and sends to nginx-2 from it (a route with
 * `src`). arp_announce picks the address its ARP request tells; accept_local
 * decides whether nginx-2, which holds 10.5.5.5 too, takes a packet (or an
 * ARP request) from an address of its own.
 */
import { describe, expect, it } from "vitest";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { engineFor } from "../helpers/lab-engine.js";
import { frameRecorder, headerLines, linuxCapture } from "../helpers/linux-capture.js";

function fromLocalAddress(setup: { namespace: string; command: string }[]) {
  const rec = frameRecorder();
  const engine = engineFor(chapterTopology(), { capture: rec.capture });
  const run = (namespace: string, command: string) => expect(engine.run({ host: "node1", namespace, command }).exitCode).toBe(0);
  run("nginx-1", "ip addr add 10.5.5.5/32 dev lo");
  run("nginx-1", "ip route add 172.17.0.3/32 dev eth0 src 10.5.5.5");
  for (const s of setup) run(s.namespace, s.command);
  const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 172.17.0.3" });
  return { r, rec };
}

describe("arp_announce", () => {
  it.each([
    ["0", "10.5.5.5"],
    ["1", "172.17.0.2"],
    ["2", "172.17.0.2"],
  ])("arp_announce=%s: the ARP request tells %s, frame for frame as Linux's", (value, tells) => {
    const { rec } = fromLocalAddress([{ namespace: "nginx-1", command: `sysctl -w net.ipv4.conf.eth0.arp_announce=${value}` }]);
    const linux = headerLines(linuxCapture(`capture-arp-announce-${value}-c1-eth0`));
    expect(linux[0]).toContain(`arp request ${tells} > 172.17.0.3`);
    expect(headerLines(rec.frames("nginx-1/eth0")).slice(0, 4)).toEqual(linux.slice(0, 4));
  });

  it("takes the larger of conf.all and the device's", () => {
    const { rec } = fromLocalAddress([{ namespace: "nginx-1", command: "sysctl -w net.ipv4.conf.all.arp_announce=2" }]);
    expect(headerLines(rec.frames("nginx-1/eth0"))[0]).toContain("arp request 172.17.0.2 > 172.17.0.3");
  });
});

describe("accept_local", () => {
  const nginx2HoldsIt = { namespace: "nginx-2", command: "ip addr add 10.5.5.5/32 dev lo" };

  it("off (the default): nginx-2 neither answers the ARP request from its own address nor takes the packet, as Linux", () => {
    const { r, rec } = fromLocalAddress([nginx2HoldsIt]);
    const linux = headerLines(linuxCapture("capture-accept-local-0-c2-eth0"));
    expect(linux.every((l) => l.includes("arp request 10.5.5.5 > 172.17.0.3"))).toBe(true);
    const sim = headerLines(rec.frames("nginx-2/eth0"));
    expect(sim.length).toBeGreaterThan(0);
    expect(sim.every((l) => l === linux[0])).toBe(true);
    expect(r.events.some((e) => e.kind === "drop" && e.namespace === "nginx-2" && e.reason === "rp-filter" && e.summary.includes("accept_local off"))).toBe(true);
  });

  it("on: nginx-2 answers, takes the echo request and sends its reply to itself over lo, as Linux", () => {
    const { rec } = fromLocalAddress([nginx2HoldsIt, { namespace: "nginx-2", command: "sysctl -w net.ipv4.conf.eth0.accept_local=1" }]);
    expect(headerLines(rec.frames("nginx-2/eth0"))).toEqual(headerLines(linuxCapture("capture-accept-local-1-c2-eth0")));
    const lo = headerLines(linuxCapture("capture-accept-local-1-c2-lo"));
    expect(lo).toHaveLength(1);
    expect(headerLines(rec.frames("nginx-2/lo"))).toEqual(lo);
  });
});
