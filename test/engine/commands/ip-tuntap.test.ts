// ip tuntap: TUN devices made through /dev/net/tun, held to a transcript captured in a fresh namespace.
import { describe, expect, it } from "vitest";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { engineFor, labEngine } from "../helpers/lab-engine.js";
import { transcript } from "../helpers/transcript.js";

describe("ip tuntap", () => {
  it("add, list, a persistent TUN device with no carrier (its route linkdown), errors and del, as iproute2 6.1 and Linux print them", () => {
    const engine = engineFor(chapterTopology());
    expect(engine.run({ host: "node1", command: "ip netns add t" }).exitCode).toBe(0);
    const steps = transcript("ip-tuntap-transcript");
    expect(steps.length).toBeGreaterThan(15);
    for (const step of steps) {
      const r = engine.run({ host: "node1", command: `ip netns exec t ${step.command}` });
      expect({ command: step.command, output: r.output, exit: r.exitCode }).toEqual({ command: step.command, output: step.output, exit: step.exit });
    }
  });

  it("lists flannel0, which flanneld holds open, and will not delete it", () => {
    const engine = labEngine("flannel-udp");
    expect(engine.run({ host: "node1", command: "ip tuntap list" }).output).toBe("flannel0: tun\n");
    expect(engine.run({ host: "node1", command: "ip tuntap del dev flannel0 mode tun" })).toMatchObject({ exitCode: 1, output: "ioctl(TUNSETIFF): Device or resource busy\n" });
    expect(engine.run({ host: "node1", command: "ip link show flannel0" }).output).toMatch(/^\d+: flannel0: <POINTOPOINT,MULTICAST,NOARP,UP,LOWER_UP> mtu \d+ qdisc pfifo_fast state UNKNOWN mode DEFAULT group default qlen 500\n/);
  });

  it("says what it does not model", () => {
    const engine = engineFor(chapterTopology());
    expect(engine.run({ host: "node1", command: "ip tuntap add dev tap0 mode tap" })).toMatchObject({ exitCode: 1, output: "ip tuntap ... mode tap: not simulated in cnlab\n" });
    expect(engine.run({ host: "node1", command: "ip tuntap add dev tun0 mode tun vnet_hdr" })).toMatchObject({ exitCode: 1, output: "ip tuntap ... vnet_hdr: not simulated in cnlab\n" });
    expect(engine.run({ host: "node1", command: "ip link show tun0" }).exitCode).toBe(1);
  });
});
