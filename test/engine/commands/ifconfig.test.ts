/** `ifconfig` prints what net-tools 2.10 prints (test/fixtures/linux) and changes interfaces the ioctl way. */
import { describe, expect, it } from "vitest";
import type { DeviceStats } from "../../../server/engine/link/device.js";
import { humanBytes } from "../../../server/engine/commands/ifconfig.js";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";
import { ToolSession } from "../helpers/tool-session.js";

/** Sets a device's counters to what the recording showed, so the whole block can be compared. */
function counters(s: ToolSession, ns: string, dev: string, rx: [number, number], tx: [number, number], txDropped = 0): void {
  const stats: DeviceStats = s.ns(ns).device(dev)!.stats;
  Object.assign(stats, { rxPackets: rx[0], rxBytes: rx[1], txPackets: tx[0], txBytes: tx[1], txDropped });
}

function expectFixture(s: ToolSession, command: string, namespace: string, file: string): void {
  const f = linuxFixture(file);
  expect(s.run(command, namespace)).toEqual({ output: f.text, exitCode: f.exit });
}

describe("ifconfig shows interfaces", () => {
  it("host: up interfaces in name order, veth ports without inet", () => {
    const s = new ToolSession();
    counters(s, "root", "docker0", [14, 976], [7, 666], 2);
    counters(s, "root", "veth9c02e56", [7, 586], [21, 1838]);
    counters(s, "root", "vethb4963f3", [7, 586], [18, 1552]);
    expectFixture(s, "ifconfig", "root", "host-ifconfig");
  });

  it("containers: eth0 and lo", () => {
    const s = new ToolSession();
    counters(s, "nginx-1", "eth0", [23, 1978], [7, 586]);
    expectFixture(s, "ifconfig", "nginx-1", "nginx-1-ifconfig");
    counters(s, "nginx-1", "eth0", [28, 2354], [11, 864]);
    expectFixture(s, "ifconfig eth0", "nginx-1", "nginx-1-ifconfig-eth0");
    counters(s, "nginx-2", "eth0", [22, 1804], [8, 656]);
    expectFixture(s, "ifconfig", "nginx-2", "nginx-2-ifconfig");
    counters(s, "nginx-2", "eth0", [25, 2068], [11, 864]);
    expectFixture(s, "ifconfig eth0", "nginx-2", "nginx-2-ifconfig-eth0");
  });

  it("eth0 down: hidden without -a, flags 4098, no inet6", () => {
    const s = new ToolSession();
    s.run("ip link set eth0 down", "nginx-1");
    counters(s, "nginx-1", "eth0", [156, 12481], [158, 11071]);
    counters(s, "nginx-1", "lo", [14, 1408], [14, 1408]);
    expectFixture(s, "ifconfig", "nginx-1", "nginx-1-eth0-down-ifconfig");
    expectFixture(s, "ifconfig -a", "nginx-1", "nginx-1-eth0-down-ifconfig-a");
    expectFixture(s, "ifconfig eth0", "nginx-1", "nginx-1-eth0-down-ifconfig-eth0");
  });

  it("a docker0 without ports is UP but not RUNNING (4099)", () => {
    const spec = chapterTopology({ containers: [] });
    spec.hosts[0]!.veths = [];
    spec.hosts[0]!.routes = [];
    const s = new ToolSession(spec);
    counters(s, "root", "docker0", [0, 0], [0, 0], 2);
    expectFixture(s, "ifconfig", "root", "host-no-ports-ifconfig");
  });

  it("an unknown interface", () => {
    expectFixture(new ToolSession(), "ifconfig nosuch", "nginx-1", "nginx-1-ifconfig-nosuch");
  });

  it("byte counts use binary units with one truncated decimal", () => {
    expect(humanBytes(0)).toBe("0.0 B");
    expect(humanBytes(976)).toBe("976.0 B");
    expect(humanBytes(1024)).toBe("1024.0 B");
    expect(humanBytes(1838)).toBe("1.7 KiB");
    expect(humanBytes(12481)).toBe("12.1 KiB");
    expect(humanBytes(8_123_456)).toBe("7.7 MiB");
    expect(humanBytes(5 * 1073741824 + 1)).toBe("5.0 GiB");
  });
});

describe("ifconfig changes interfaces", () => {
  it("setting an address replaces the primary one with its class's mask unless given, derives brd, brings the interface up", () => {
    const s = new ToolSession();
    s.run("ip link add tv0 type veth peer name tv1", "nginx-1");
    expect(s.run("ifconfig tv0 10.20.0.5 netmask 255.255.255.0", "nginx-1")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("ifconfig tv0", "nginx-1").output.split("\n").slice(0, 2)).toEqual([
      "tv0: flags=4099<UP,BROADCAST,MULTICAST>  mtu 1500",
      "        inet 10.20.0.5  netmask 255.255.255.0  broadcast 10.20.0.255",
    ]);
    expect(s.run("ifconfig tv0 10.20.0.6", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip -4 addr show tv0", "nginx-1").output).toContain("    inet 10.20.0.6/8 brd 10.255.255.255 scope global tv0\n");
    expect(s.run("ip -4 addr show tv0", "nginx-1").output).not.toContain("10.20.0.5");
    expect(s.run("ifconfig tv0 netmask 255.255.0.0", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip -4 addr show tv0", "nginx-1").output).toContain("    inet 10.20.0.6/16 brd 10.20.255.255 scope global tv0\n");
    expect(s.run("ifconfig tv0 mtu 1400", "nginx-1").exitCode).toBe(0);
    expect(s.run("ifconfig tv0 down", "nginx-1").exitCode).toBe(0);
    expect(s.run("ifconfig -a tv0", "nginx-1").output.split("\n")[0]).toBe("tv0: flags=4098<BROADCAST,MULTICAST>  mtu 1400");
    expect(s.run("ifconfig tv0 0.0.0.0", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip -4 addr show tv0", "nginx-1").output).toBe("");
  });

  it("only the primary address is shown; one added without brd shows broadcast 0.0.0.0", () => {
    const s = new ToolSession();
    s.run("ip addr add 10.40.0.1/24 dev eth0", "nginx-1");
    expect(s.run("ifconfig eth0", "nginx-1").output).toContain("        inet 172.17.0.2  netmask 255.255.0.0  broadcast 172.17.255.255\n");
    s.run("ip addr del 172.17.0.2/16 dev eth0", "nginx-1");
    expect(s.run("ifconfig eth0", "nginx-1").output).toContain("        inet 10.40.0.1  netmask 255.255.255.0  broadcast 0.0.0.0\n");
  });

  for (const [command, output, exitCode] of [
    ["ifconfig eth0 foo", "foo: Host name lookup failure\nifconfig: `--help' gives usage information.\n", 1],
    ["ifconfig eth0 10.20.0.999", "10.20.0.999: Unknown host\nifconfig: `--help' gives usage information.\n", 1],
    ["ifconfig eth0 netmask 255.0.255.0", "SIOCSIFNETMASK: Invalid argument\n", 1],
    ["ifconfig eth0 10.1.1.1 netmask 255.0.255.0", "SIOCSIFNETMASK: Invalid argument\n", 1],
    ["ifconfig eth0 mtu 40", "SIOCSIFMTU: Invalid argument\n", 1],
    ["ifconfig nosuch up", "nosuch: ERROR while getting interface flags: No such device\n", 255],
    ["ifconfig nosuch 10.20.0.5 netmask 255.255.255.0", "SIOCSIFADDR: No such device\nnosuch: ERROR while getting interface flags: No such device\nSIOCSIFNETMASK: No such device\n", 255],
    ["ifconfig nosuch mtu 1400", "SIOCSIFMTU: No such device\n", 1],
    ["ifconfig -z", "ifconfig: option `-z' not recognised.\nifconfig: `--help' gives usage information.\n", 1],
  ] as const) {
    it(`${command} fails like net-tools and changes nothing`, () => {
      const s = new ToolSession();
      const before = s.run("ip addr", "nginx-1").output;
      expect(s.run(command, "nginx-1")).toEqual({ output, exitCode });
      expect(s.run("ip addr", "nginx-1").output).toBe(before);
    });
  }
});
