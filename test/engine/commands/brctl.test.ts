/** `brctl` prints what bridge-utils 1.7 prints (test/fixtures/linux) and manages bridges and ports. */
import { describe, expect, it } from "vitest";
import type { Bridge } from "../../../server/engine/link/bridge.js";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";
import { ToolSession } from "../helpers/tool-session.js";

function expectFixture(s: ToolSession, command: string, file: string): void {
  const f = linuxFixture(file);
  expect(s.run(command)).toEqual({ output: f.text, exitCode: f.exit });
}

describe("brctl show", () => {
  it("docker0 with its two ports, in name order", () => {
    expectFixture(new ToolSession(), "brctl show", "host-brctl-show");
    expectFixture(new ToolSession(), "brctl show docker0", "host-brctl-show-docker0");
    const s = new ToolSession();
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    expectFixture(s, "brctl show", "host-brctl-show-after-ping");
    s.run("ip link set eth0 down", "nginx-1");
    expectFixture(s, "brctl show", "host-nginx-1-eth0-down-brctl-show");
  });

  it("a bridge without ports ends its row with the two tabs", () => {
    const spec = chapterTopology({ containers: [] });
    spec.hosts[0]!.veths = [];
    spec.hosts[0]!.routes = [];
    expectFixture(new ToolSession(spec), "brctl show", "host-no-ports-brctl-show");
  });

  it("unknown bridges", () => {
    expectFixture(new ToolSession(), "brctl show nosuch", "host-brctl-show-nosuch");
    expectFixture(new ToolSession(), "brctl showmacs nosuch", "host-brctl-showmacs-nosuch");
  });
});

describe("brctl showmacs", () => {
  it("after the ping: learnt MACs with their idle time, the ports' own as local, sorted by MAC", () => {
    const s = new ToolSession();
    s.run("ping -c 3 172.17.0.3", "nginx-1");
    const f = linuxFixture("host-brctl-showmacs-docker0-after-ping");
    const mask = (t: string) => t.replace(/no\t\t +\d+\.\d\d/g, "no\t\tT");
    const r = s.run("brctl showmacs docker0");
    expect(mask(r.output)).toBe(mask(f.text));
    expect(r.exitCode).toBe(f.exit);
  });

  it("the ageing timer counts seconds and hundredths since the MAC was last seen", () => {
    const s = new ToolSession();
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    const docker0 = s.ns().device("docker0") as Bridge;
    const updated = docker0.fdb.get("02:42:ac:11:00:02")!.updated;
    s.advance(updated + 750_000 - s.net.scheduler.now);
    expect(s.run("brctl showmacs docker0").output).toContain("  1\t02:42:ac:11:00:02\tno\t\t   0.75\n");
  });
});

describe("brctl addbr / addif / delif / delbr", () => {
  it("creates a bridge, enslaves and releases a port, deletes it", () => {
    const s = new ToolSession();
    s.run("ip link add tva type veth peer name tvb");
    expect(s.run("brctl addbr br0")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("ip link show br0").output).toMatch(/^7: br0: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT group default qlen 1000\n/);
    expect(s.run("brctl addif br0 tva")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("brctl show br0").output).toMatch(/^bridge name\tbridge id\t\tSTP enabled\tinterfaces\nbr0\t\t8000\.[0-9a-f]{12}\tno\t\ttva\n$/);
    expect(s.run("bridge link show dev tva").output).toBe("6: tva@tvb: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 master br0 state disabled priority 32 cost 2 \n");
    expect(s.run("brctl delif br0 tva")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("bridge link").output).not.toContain("tva");
    expect(s.run("brctl delbr br0")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("ip link show br0")).toEqual({ output: `Device "br0" does not exist.\n`, exitCode: 1 });
  });

  for (const [setup, command, output] of [
    [[], "brctl addbr docker0", "device docker0 already exists; can't create bridge with the same name\n"],
    [[], "brctl addif nosuch veth9c02e56", "bridge nosuch does not exist!\n"],
    [[], "brctl addif docker0 nosuch", "interface nosuch does not exist!\n"],
    [["brctl addbr br0"], "brctl addif br0 veth9c02e56", "device veth9c02e56 is already a member of a bridge; can't add it to bridge br0.\n"],
    [["brctl addbr br0"], "brctl delif br0 veth9c02e56", "device veth9c02e56 is not a port of br0\n"],
    [[], "brctl delif docker0 nosuch", "interface nosuch does not exist!\n"],
    [[], "brctl delbr nosuch", "bridge nosuch doesn't exist; can't delete it\n"],
    [["brctl addbr br0", "ip link set br0 up"], "brctl delbr br0", "bridge br0 is still up; can't delete it\n"],
    [[], "brctl delbr docker0", "bridge docker0 is still up; can't delete it\n"],
    [[], "brctl addbr", "Incorrect number of arguments for command\nUsage: brctl addbr <bridge>\t\tadd bridge\n"],
    [[], "brctl showmacs", "Incorrect number of arguments for command\nUsage: brctl showmacs <bridge>\t\tshow a list of mac addrs\n"],
  ] as const) {
    it(`${command} fails like bridge-utils and changes nothing`, () => {
      const s = new ToolSession();
      for (const c of setup) s.run(c);
      const state = () => s.run("ip link").output + s.run("bridge fdb show").output + s.run("brctl show").output;
      const before = state();
      expect(s.run(command)).toEqual({ output, exitCode: 1 });
      expect(state()).toBe(before);
    });
  }

  it("an unknown command prints the whole usage", () => {
    const r = new ToolSession().run("brctl foo");
    expect(r.exitCode).toBe(1);
    const lines = r.output.split("\n");
    expect(lines.slice(0, 4)).toEqual(["never heard of command [foo]", "Usage: brctl [commands]", "commands:", "\taddbr     \t<bridge>\t\tadd bridge"]);
    expect(lines).toContain("\tsetbridgeprio\t<bridge> <prio>\t\tset bridge priority");
    expect(lines[lines.length - 2]).toBe("\tstp       \t<bridge> {on|off}\tturn stp on/off");
  });
});
