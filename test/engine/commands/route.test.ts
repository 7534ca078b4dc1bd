/** `route` prints the main table as net-tools 2.10 does (test/fixtures/linux) and changes it through the ioctl semantics. */
import { describe, expect, it } from "vitest";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";
import { ToolSession } from "../helpers/tool-session.js";

function expectFixture(s: ToolSession, command: string, namespace: string, file: string): void {
  const f = linuxFixture(file);
  expect(s.run(command, namespace)).toEqual({ output: f.text, exitCode: f.exit });
}

describe("route shows the main table", () => {
  for (const [ns, command, file] of [
    ["root", "route", "host-route"],
    ["root", "route -n", "host-route-n"],
    ["nginx-1", "route", "nginx-1-route"],
    ["nginx-1", "route -n", "nginx-1-route-n"],
    ["nginx-2", "route", "nginx-2-route"],
    ["nginx-2", "route -n", "nginx-2-route-n"],
  ] as const) {
    it(`${ns}: ${command}`, () => expectFixture(new ToolSession(), command, ns, file));
  }

  it("header only when eth0 is down; no linkdown column when the ports are", () => {
    const s = new ToolSession();
    s.run("ip link set eth0 down", "nginx-1");
    expectFixture(s, "route -n", "nginx-1", "nginx-1-eth0-down-route-n");
    s.run("ip link set veth9c02e56 down");
    s.run("ip link set vethb4963f3 down");
    expectFixture(s, "route -n", "root", "host-ports-down-route-n");
  });

  it("a docker0 without ports", () => {
    const spec = chapterTopology({ containers: [] });
    spec.hosts[0]!.veths = [];
    spec.hosts[0]!.routes = [];
    expectFixture(new ToolSession(spec), "route -n", "root", "host-no-ports-route-n");
  });

  it("-e and -ee add the extended columns", () => {
    const s = new ToolSession();
    expect(s.run("route -e", "nginx-1").output).toBe(
      "Kernel IP routing table\n" +
        "Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n" +
        "default         172.17.0.1      0.0.0.0         UG        0 0          0 eth0\n" +
        "172.17.0.0      0.0.0.0         255.255.0.0     U         0 0          0 eth0\n",
    );
    expect(s.run("route -ee", "nginx-1").output.split("\n").slice(1, 3)).toEqual([
      "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface    MSS   Window irtt",
      "default         172.17.0.1      0.0.0.0         UG    0      0        0 eth0     0     0      0",
    ]);
  });
});

describe("route add / del", () => {
  it("adds net, host and gateway routes with flags, metric and scope as the kernel records them", () => {
    const s = new ToolSession();
    for (const cmd of [
      "route add -net 10.50.0.0 netmask 255.255.0.0 dev eth0",
      "route add -net 10.51.0.0 netmask 255.255.0.0 gw 172.17.0.254",
      "route add -net 10.52.0.0/16 gw 172.17.0.254 metric 5",
      "route add -host 10.53.0.1 dev eth0",
      "route add 10.61.0.0 dev eth0",
    ]) {
      expect(s.run(cmd, "nginx-1")).toEqual({ output: "", exitCode: 0 });
    }
    expect(s.run("route -n", "nginx-1").output).toBe(
      "Kernel IP routing table\n" +
        "Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n" +
        "0.0.0.0         172.17.0.1      0.0.0.0         UG    0      0        0 eth0\n" +
        "10.50.0.0       0.0.0.0         255.255.0.0     U     0      0        0 eth0\n" +
        "10.51.0.0       172.17.0.254    255.255.0.0     UG    0      0        0 eth0\n" +
        "10.52.0.0       172.17.0.254    255.255.0.0     UG    5      0        0 eth0\n" +
        "10.53.0.1       0.0.0.0         255.255.255.255 UH    0      0        0 eth0\n" +
        "10.61.0.0       0.0.0.0         255.255.255.255 UH    0      0        0 eth0\n" +
        "172.17.0.0      0.0.0.0         255.255.0.0     U     0      0        0 eth0\n",
    );
    expect(s.run("ip route", "nginx-1").output).toBe(
      "default via 172.17.0.1 dev eth0 \n" +
        "10.50.0.0/16 dev eth0 scope link \n" +
        "10.51.0.0/16 via 172.17.0.254 dev eth0 \n" +
        "10.52.0.0/16 via 172.17.0.254 dev eth0 metric 5 \n" +
        "10.53.0.1 dev eth0 scope link \n" +
        "10.61.0.0 dev eth0 scope link \n" +
        "172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2 \n",
    );
    expect(s.run("route del -net 10.52.0.0 netmask 255.255.0.0 metric 4", "nginx-1")).toEqual({ output: "SIOCDELRT: No such process\n", exitCode: 7 });
    expect(s.run("route del -net 10.52.0.0 netmask 255.255.0.0 gw 172.17.0.253", "nginx-1")).toEqual({ output: "SIOCDELRT: No such process\n", exitCode: 7 });
    expect(s.run("route del -net 10.52.0.0 netmask 255.255.0.0", "nginx-1")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("route del default", "nginx-1")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("route add default gw 172.17.0.1", "nginx-1")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("ip route show default", "nginx-1").output).toBe("default via 172.17.0.1 dev eth0 \n");
  });

  it("deleting a route that does not exist (fixture)", () => {
    expectFixture(new ToolSession(), "route del -net 1.2.3.0 netmask 255.255.255.0", "nginx-1", "nginx-1-route-del-net-1-2-3-0-netmask-255-255-255-0");
  });

  const INET_USAGE =
    "Usage: inet_route [-vF] del {-host|-net} Target[/prefix] [gw Gw] [metric M] [[dev] If]\n" +
    "       inet_route [-vF] add {-host|-net} Target[/prefix] [gw Gw] [metric M]\n" +
    "                              [netmask N] [mss Mss] [window W] [irtt I]\n" +
    "                              [mod] [dyn] [reinstate] [[dev] If]\n" +
    "       inet_route [-vF] add {-host|-net} Target[/prefix] [metric M] reject\n" +
    "       inet_route [-FC] flush      NOT supported\n";

  for (const [command, output, exitCode] of [
    ["route del default gw 172.17.0.9", "SIOCDELRT: No such process\n", 7],
    ["route add default gw 10.9.9.9", "SIOCADDRT: Network is unreachable\n", 7],
    ["route add default gw 172.17.0.1", "SIOCADDRT: File exists\n", 7],
    ["route add -net 10.55.0.0 netmask 255.255.0.0 dev nosuch", "SIOCADDRT: No such device\n", 7],
    ["route add -net 10.60.0.0 netmask 255.255.0.0", "SIOCADDRT: No such device\n", 7],
    ["route add -net 10.60.0.0", "SIOCADDRT: Invalid argument\n", 7],
    ["route add foo", "foo: Host name lookup failure\n", 6],
    ["route add -net 10.54.0.1 netmask 255.255.0.0 dev eth0", `route: netmask doesn't match route address\n${INET_USAGE}`, 3],
    ["route add -net 10.56.0.0 netmask 255.0.255.0 dev eth0", `route: bogus netmask 255.0.255.0\n${INET_USAGE}`, 3],
    ["route add", INET_USAGE, 0],
  ] as const) {
    it(`${command} fails like net-tools and changes nothing`, () => {
      const s = new ToolSession();
      const before = s.run("ip route", "nginx-1").output;
      expect(s.run(command, "nginx-1")).toEqual({ output, exitCode });
      expect(s.run("ip route", "nginx-1").output).toBe(before);
    });
  }

  it("an unknown option prints the usage", () => {
    const r = new ToolSession().run("route -x");
    expect(r.output.split("\n").slice(0, 2)).toEqual(["route: invalid option -- 'x'", "Usage: route [-nNvee] [-FC] [<AF>]           List kernel routing tables"]);
  });
});
