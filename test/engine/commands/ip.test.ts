/** `ip` prints what iproute2 6.1 prints on the chapter's node (test/fixtures/linux), and refuses what it refuses without changing anything. */
import { describe, expect, it } from "vitest";
import { ROOT_NAMESPACE, type TopologySpec } from "../../../server/engine/topology/topology-schema.js";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";
import { ToolSession } from "../helpers/tool-session.js";

/** Runs `command` in `namespace` and expects the recorded output and exit code byte for byte. */
function expectFixture(s: ToolSession, command: string, namespace: string, file: string): void {
  const f = linuxFixture(file);
  const r = s.run(command, namespace);
  expect(r.output).toBe(f.text);
  expect(r.exitCode).toBe(f.exit);
}

const HOST = ROOT_NAMESPACE;

describe("ip on a fresh chapter node", () => {
  const s = new ToolSession();
  for (const [ns, command, file] of [
    [HOST, "ip addr", "host-ip-addr"],
    [HOST, "ip link", "host-ip-link"],
    [HOST, "ip -br addr", "host-ip-br-addr"],
    [HOST, "ip -br link", "host-ip-br-link"],
    [HOST, "ip addr show dev docker0", "host-ip-addr-show-dev-docker0"],
    [HOST, "ip link show dev docker0", "host-ip-link-show-dev-docker0"],
    [HOST, "ip -d link show veth9c02e56", "host-ip-d-link-show-veth9c02e56"],
    [HOST, "ip route", "host-ip-route"],
    [HOST, "ip route show table local", "host-ip-route-show-table-local"],
    [HOST, "ip route get 172.17.0.3", "host-ip-route-get-172-17-0-3"],
    [HOST, "ip route get 10.9.9.9", "host-ip-route-get-10-9-9-9"],
    [HOST, "ip neigh", "host-ip-neigh-before-ping"],
    ["nginx-1", "ip addr", "nginx-1-ip-addr"],
    ["nginx-1", "ip link", "nginx-1-ip-link"],
    ["nginx-1", "ip -br addr", "nginx-1-ip-br-addr"],
    ["nginx-1", "ip -br link", "nginx-1-ip-br-link"],
    ["nginx-1", "ip addr show dev eth0", "nginx-1-ip-addr-show-dev-eth0"],
    ["nginx-1", "ip link show dev eth0", "nginx-1-ip-link-show-dev-eth0"],
    ["nginx-1", "ip -d link show eth0", "nginx-1-ip-d-link-show-eth0"],
    ["nginx-1", "ip route", "nginx-1-ip-route"],
    ["nginx-1", "ip route show table local", "nginx-1-ip-route-show-table-local"],
    ["nginx-1", "ip route get 172.17.0.3", "nginx-1-ip-route-get-172-17-0-3"],
    ["nginx-1", "ip route get 10.9.9.9", "nginx-1-ip-route-get-10-9-9-9"],
    ["nginx-1", "ip neigh", "nginx-1-ip-neigh-before-ping"],
    ["nginx-2", "ip addr", "nginx-2-ip-addr"],
    ["nginx-2", "ip link", "nginx-2-ip-link"],
    ["nginx-2", "ip -br addr", "nginx-2-ip-br-addr"],
    ["nginx-2", "ip -br link", "nginx-2-ip-br-link"],
    ["nginx-2", "ip addr show dev eth0", "nginx-2-ip-addr-show-dev-eth0"],
    ["nginx-2", "ip link show dev eth0", "nginx-2-ip-link-show-dev-eth0"],
    ["nginx-2", "ip route", "nginx-2-ip-route"],
    ["nginx-2", "ip route get 172.17.0.3", "nginx-2-ip-route-get-172-17-0-3"],
  ] as const) {
    it(`${ns}: ${command}`, () => expectFixture(s, command, ns, file));
  }

  it("ip -d link show docker0 prints the bridge's attributes (the gc timer is running time)", () => {
    const f = linuxFixture("host-ip-d-link-show-docker0");
    const r = s.run("ip -d link show docker0");
    const mask = (t: string) => t.replace(/gc_timer +\d+\.\d\d/, "gc_timer X");
    expect(mask(r.output)).toBe(mask(f.text));
  });

  it("abbreviations pick the object and command iproute2 picks", () => {
    expect(s.run("ip a s dev eth0", "nginx-1").output).toBe(s.run("ip address show dev eth0", "nginx-1").output);
    expect(s.run("ip r", "nginx-1").output).toBe(s.run("ip route", "nginx-1").output);
    expect(s.run("ip l sh eth0", "nginx-1").output).toBe(s.run("ip link show eth0", "nginx-1").output);
    expect(s.run("ip n", "nginx-1").output).toBe(s.run("ip neigh", "nginx-1").output);
  });

  it("ip -4 addr shows only IPv4 and moves link-netnsid onto the header line", () => {
    expect(s.run("ip -4 addr show dev eth0", "nginx-1").output).toBe(
      "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000 link-netnsid 0\n" +
        "    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0\n" +
        "       valid_lft forever preferred_lft forever\n",
    );
    // Host ports have no IPv4 address, so -4 leaves them out.
    expect(s.run("ip -4 -br addr").output).toBe("lo               UNKNOWN        127.0.0.1/8 \ndocker0          UP             172.17.0.1/16 \n");
  });

  it("ip -6 addr shows the link-locals with the IPv6 module's shorter header", () => {
    expect(s.run("ip -6 addr", "nginx-1").output).toBe(
      "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 state UNKNOWN qlen 1000\n" +
        "    inet6 ::1/128 scope host \n" +
        "       valid_lft forever preferred_lft forever\n" +
        "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 state UP qlen 1000\n" +
        "    inet6 fe80::42:acff:fe11:2/64 scope link \n" +
        "       valid_lft forever preferred_lft forever\n",
    );
  });

  it("ip -s link shows the device counters in iproute2's columns", () => {
    const t = new ToolSession();
    const eth0 = t.ns("nginx-1").device("eth0")!;
    Object.assign(eth0.stats, { rxBytes: 3724, rxPackets: 50, txBytes: 5708, txPackets: 76 });
    expect(t.run("ip -s link show eth0", "nginx-1").output).toBe(
      "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\n" +
        "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0\n" +
        "    RX:  bytes packets errors dropped  missed   mcast           \n" +
        "          3724      50      0       0       0       0 \n" +
        "    TX:  bytes packets errors dropped carrier collsns           \n" +
        "          5708      76      0       0       0       0 \n",
    );
  });

  it("ip route show table all adds the local table with its name; show dev X drops the dev", () => {
    expect(s.run("ip route show table all", "nginx-1").output).toBe(
      "default via 172.17.0.1 dev eth0 \n" +
        "172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2 \n" +
        "local 127.0.0.0/8 dev lo table local proto kernel scope host src 127.0.0.1 \n" +
        "local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1 \n" +
        "broadcast 127.255.255.255 dev lo table local proto kernel scope link src 127.0.0.1 \n" +
        "local 172.17.0.2 dev eth0 table local proto kernel scope host src 172.17.0.2 \n" +
        "broadcast 172.17.255.255 dev eth0 table local proto kernel scope link src 172.17.0.2 \n",
    );
    expect(s.run("ip route show dev eth0", "nginx-1").output).toBe("default via 172.17.0.1 \n172.17.0.0/16 proto kernel scope link src 172.17.0.2 \n");
  });

  it("ip route get for a broadcast address, and for a forwarded packet (from … iif …)", () => {
    expect(s.run("ip route get 172.17.255.255", "nginx-1").output).toBe("broadcast 172.17.255.255 dev eth0 src 172.17.0.2 uid 0 \n    cache <local,brd> \n");
    expect(s.run("ip route get 172.17.0.3 from 172.17.0.2 iif docker0").output).toBe("172.17.0.3 from 172.17.0.2 dev docker0 \n    cache <redirect> iif docker0 \n");
    expect(s.run("ip route get 172.17.0.1 from 172.17.0.2 iif docker0").output).toBe("local 172.17.0.1 from 172.17.0.2 dev lo \n    cache <local> iif docker0 \n");
    expect(s.run("ip route get 10.9.9.9 from 172.17.0.2 iif docker0").output).toBe("RTNETLINK answers: Network is unreachable\n");
    // nginx-1 does not forward: a packet arriving for elsewhere has no route.
    expect(s.run("ip route get 10.9.9.9 from 172.17.0.3 iif eth0", "nginx-1")).toEqual({ output: "RTNETLINK answers: No route to host\n", exitCode: 2 });
    expect(s.run("ip route get 10.9.9.9 from 172.17.0.2", "nginx-1").output).toBe("10.9.9.9 from 172.17.0.2 via 172.17.0.1 dev eth0 uid 0 \n    cache \n");
  });

  it("show type T lists the devices of that kind (bridge_slave: the ports)", () => {
    expect(s.run("ip -br link show type bridge").output).toBe("docker0          UP             02:42:d8:e4:df:c1 <BROADCAST,MULTICAST,UP,LOWER_UP> \n");
    expect(s.run("ip -br link show type bridge_slave").output.split("\n").map((l) => l.split(" ")[0])).toEqual(["veth9c02e56@if2", "vethb4963f3@if2", ""]);
    expect(s.run("ip -br addr show type veth", "nginx-1").output).toBe("eth0@if3         UP             172.17.0.2/16 fe80::42:acff:fe11:2/64 \n");
    expect(s.run("ip link show type dummy").output).toBe("");
  });

  it("ip rule lists the three default rules", () => {
    expect(s.run("ip rule").output).toBe("0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n");
  });

  it("ip -V", () => {
    expect(s.run("ip -V").output).toBe("ip utility, iproute2-6.1.0, libbpf 1.1.2\n");
  });
});

describe("ip refuses what iproute2 refuses, and changes nothing", () => {
  const snapshot = (s: ToolSession, ns: string) => s.run("ip addr", ns).output + s.run("ip route show table all", ns).output + s.run("ip neigh", ns).output;

  for (const [command, file] of [
    ["ip foo", "nginx-1-ip-foo"],
    ["ip addr show dev nosuch", "nginx-1-ip-addr-show-dev-nosuch"],
    ["ip link show dev nosuch", "nginx-1-ip-link-show-dev-nosuch"],
    ["ip addr add 172.17.0.2/16 dev eth0", "nginx-1-ip-addr-add-172-17-0-2-16-dev-eth0-exists"],
    ["ip addr add 172.17.0.9/16 dev nosuch", "nginx-1-ip-addr-add-172-17-0-9-16-dev-nosuch"],
    ["ip addr add 172.17.0.9/99 dev eth0", "nginx-1-ip-addr-add-172-17-0-9-99-dev-eth0"],
    ["ip addr add bad/99 dev eth0", "nginx-1-ip-addr-add-bad-99-dev-eth0"],
    ["ip link set dev nosuch up", "nginx-1-ip-link-set-dev-nosuch-up"],
    ["ip link set eth0 mtu abc", "nginx-1-ip-link-set-eth0-mtu-abc"],
    ["ip neigh show dev nosuch", "nginx-1-ip-neigh-show-dev-nosuch"],
    ["ip neigh add 172.17.0.50 lladdr zz:zz dev eth0", "nginx-1-ip-neigh-add-172-17-0-50-lladdr-zz-zz-dev-eth0"],
    ["ip route add 172.17.0.0/16 dev eth0", "nginx-1-ip-route-add-172-17-0-0-16-dev-eth0-exists"],
    ["ip route add bad via 172.17.0.1", "nginx-1-ip-route-add-bad-via-172-17-0-1"],
    ["ip route add default via 10.0.0.1", "nginx-1-ip-route-add-default-via-10-0-0-1"],
    ["ip route add default via 172.17.0.1", "nginx-1-ip-route-add-default-via-172-17-0-1-exists"],
    ["ip route del 1.2.3.0/24", "nginx-1-ip-route-del-1-2-3-0-24"],
  ] as const) {
    it(command, () => {
      const s = new ToolSession();
      const before = snapshot(s, "nginx-1");
      expectFixture(s, command, "nginx-1", file);
      expect(snapshot(s, "nginx-1")).toBe(before);
    });
  }

  it("the host cannot route 0/0 via an address no connected route covers", () => {
    expectFixture(new ToolSession(), "ip route add default via 10.0.0.1", HOST, "host-ip-route-add-default-via-10-0-0-1");
  });

  for (const [command, output, exitCode] of [
    ["ip addr foo", `Command "foo" is unknown, try "ip address help".\n`, 255],
    ["ip addr show eth0 eth0", `Error: either "dev" is duplicate, or "eth0" is a garbage.\n`, 255],
    ["ip addr show dev", `Command line is not complete. Try option "help"\n`, 255],
    ["ip addr add 172.17.0.9/16", `Not enough information: "dev" argument is required.\n`, 1],
    ["ip addr add dev eth0", "RTNETLINK answers: Operation not supported\n", 2],
    ["ip addr add 1.2.3.4/24 dev eth0 foo", `Error: either "local" is duplicate, or "foo" is a garbage.\n`, 255],
    ["ip addr del 10.1.0.5/24 dev eth0", "Error: ipv4: Address not found.\n", 2],
    ["ip link set eth0 foo", `Error: either "dev" is duplicate, or "foo" is a garbage.\n`, 255],
    ["ip link set up", `Not enough information: "dev" argument is required.\n`, 255],
    ["ip link set eth0 mtu 70000", "Error: mtu greater than device maximum.\n", 2],
    ["ip link set eth0 mtu 60", "Error: mtu less than device minimum.\n", 2],
    ["ip link set eth0 master nosuch", `Error: argument "nosuch" is wrong: Device does not exist\n\n`, 255],
    ["ip link set eth0 master lo", "RTNETLINK answers: Operation not supported\n", 2],
    ["ip route add 10.6.0.0/16 via 10.1.0.9", "Error: Nexthop has invalid gateway.\n", 2],
    ["ip route add 10.7.0.0/16 via 172.17.0.9 dev lo", "Error: Nexthop has invalid gateway.\n", 2],
    ["ip route add 10.9.0.0/16 dev nosuch", `Cannot find device "nosuch"\n`, 1],
    ["ip route add 10.10.0.0/16", "RTNETLINK answers: No such device\n", 2],
    ["ip route add 10.1.0.0/8 dev eth0", "Error: Invalid prefix for given prefix length.\n", 2],
    ["ip route add 10.11.0.0/16 via 172.17.0.1 metric abc", `Error: argument "abc" is wrong: "metric" value is invalid\n\n`, 255],
    ["ip route add bad", `Error: any valid prefix is expected rather than "bad".\n`, 1],
    ["ip neigh add 172.17.0.50 lladdr zz dev eth0", `"zz" is invalid lladdr.\n`, 1],
    ["ip route add 10.11.0.0/16 via abc", `Error: inet address is expected rather than "abc".\n`, 1],
    ["ip route add 10.11.0.0/33 dev eth0", `Error: any valid prefix is expected rather than "10.11.0.0/33".\n`, 1],
    ["ip route add 10.11.0.0/16 via 172.17.0.1 foo", `Error: either "to" is duplicate, or "foo" is a garbage.\n`, 255],
    ["ip route add 10.72.0.0/16 via 1.2.3.4 onlink", "Error: Nexthop device required for onlink.\n", 2],
    ["ip route add 10.82.0.0/16 dev eth0 src 10.9.9.9", "Error: Invalid prefsrc address.\n", 2],
    ["ip route del default via 172.17.0.9", "RTNETLINK answers: No such process\n", 2],
    ["ip route flurb", `Command "flurb" is unknown, try "ip route help".\n`, 255],
    ["ip route flush", `"ip route flush" requires arguments.\n`, 1],
    ["ip route get", "need at least a destination address\n", 1],
    ["ip route get 999.1.1.1", `Error: any valid prefix is expected rather than "999.1.1.1".\n`, 1],
    ["ip route get 10.1.1.1 foo", `Error: inet prefix is expected rather than "foo".\n`, 1],
    ["ip route show table foo", `Error: argument "foo" is wrong: table id value is invalid\n\n`, 255],
    ["ip neigh add 172.17.0.50 lladdr 02:42:ac:11:00:32 dev eth0 nud foo", `Error: argument "foo" is wrong: nud state is bad\n`, 255],
    ["ip neigh add abc lladdr 02:42:ac:11:00:34 dev eth0", `Error: any valid address is expected rather than "abc".\n`, 1],
    ["ip neigh add 172.17.0.53 lladdr 02:42:ac:11:00:34", "Device and destination are required arguments.\n", 255],
    ["ip neigh add 172.17.0.53 dev eth0", "Error: No link layer address given.\n", 2],
    ["ip neigh del 172.17.0.51 dev eth0", "RTNETLINK answers: No such file or directory\n", 2],
    ["ip neigh change 172.17.0.91 lladdr 02:42:d8:e4:df:c1 dev eth0", "RTNETLINK answers: No such file or directory\n", 2],
    ["ip neigh flush", "Flush requires arguments.\n", 1],
    ["ip neigh foo", `Command "foo" is unknown, try "ip neigh help".\n`, 255],
    ["ip -x addr", `Option "-x" is unknown, try "ip -help".\n`, 255],
    ["ip netns exec nosuch ip addr", `Cannot open network namespace "nosuch": No such file or directory\n`, 255],
    ["ip netns foo", `Command "foo" is unknown, try "ip netns help".\n`, 255],
    ["ip tunnel show", `ip tunnel: not simulated in cnlab\n`, 1],
  ] as const) {
    it(command, () => {
      const s = new ToolSession();
      const before = snapshot(s, "nginx-1");
      expect(s.run(command, "nginx-1")).toEqual({ output, exitCode });
      expect(snapshot(s, "nginx-1")).toBe(before);
    });
  }

  it("ip with no object prints the usage (exit 255)", () => {
    const r = new ToolSession().run("ip");
    expect(r.exitCode).toBe(255);
    expect(r.output.split("\n")[0]).toBe("Usage: ip [ OPTIONS ] OBJECT { COMMAND | help }");
  });
});

describe("ip address changes", () => {
  it("an address added without brd has none; a second one in the subnet is secondary; del removes it", () => {
    const s = new ToolSession();
    expect(s.run("ip addr add 10.1.0.5/24 dev eth0", "nginx-1")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("ip addr add 172.17.0.9/16 brd + dev eth0", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip -4 addr show dev eth0", "nginx-1").output).toBe(
      "2: eth0@if3: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP group default qlen 1000 link-netnsid 0\n" +
        "    inet 172.17.0.2/16 brd 172.17.255.255 scope global eth0\n" +
        "       valid_lft forever preferred_lft forever\n" +
        "    inet 10.1.0.5/24 scope global eth0\n" +
        "       valid_lft forever preferred_lft forever\n" +
        "    inet 172.17.0.9/16 brd 172.17.255.255 scope global secondary eth0\n" +
        "       valid_lft forever preferred_lft forever\n",
    );
    expect(s.run("ip route", "nginx-1").output).toBe(
      "default via 172.17.0.1 dev eth0 \n10.1.0.0/24 dev eth0 proto kernel scope link src 10.1.0.5 \n172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2 \n",
    );
    expect(s.run("ip addr del 10.1.0.5/24 dev eth0", "nginx-1")).toEqual({ output: "", exitCode: 0 });
    expect(s.run("ip route", "nginx-1").output).not.toContain("10.1.0.0/24");
  });

  it("deleting without a prefix length warns (wildcard deletion) and deletes", () => {
    const s = new ToolSession();
    s.run("ip addr add 10.1.0.5/24 dev eth0", "nginx-1");
    expect(s.run("ip addr del 10.1.0.5 dev eth0", "nginx-1")).toEqual({
      output:
        "Warning: Executing wildcard deletion to stay compatible with old scripts.\n" +
        "         Explicitly specify the prefix length (10.1.0.5/32) to avoid this warning.\n" +
        "         This special behaviour is likely to disappear in further releases,\n" +
        "         fix your scripts!\n",
      exitCode: 0,
    });
    expect(s.run("ip -4 -br addr show dev eth0", "nginx-1").output).toBe("eth0@if3         UP             172.17.0.2/16 \n");
  });

  it("an address without a prefix is a /32; flush removes every IPv4 address", () => {
    const s = new ToolSession();
    s.run("ip addr add 10.1.0.6 dev eth0", "nginx-1");
    expect(s.run("ip -br -4 addr show eth0", "nginx-1").output).toBe("eth0@if3         UP             172.17.0.2/16 10.1.0.6/32 \n");
    expect(s.run("ip addr flush dev eth0", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip -br addr show eth0", "nginx-1").output).toBe("eth0@if3         UP             fe80::42:acff:fe11:2/64 \n");
    expect(s.run("ip route", "nginx-1").output).toBe("default via 172.17.0.1 dev eth0 \n");
  });
});

describe("ip link changes", () => {
  it("nginx-1: eth0 down removes its routes, neighbours and link-local; up brings back only the connected route", () => {
    const s = new ToolSession();
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    expectFixture(s, "ip link set eth0 down", "nginx-1", "nginx-1-ip-link-set-eth0-down");
    expectFixture(s, "ip link show dev eth0", "nginx-1", "nginx-1-eth0-down-ip-link-show-dev-eth0");
    expectFixture(s, "ip addr show dev eth0", "nginx-1", "nginx-1-eth0-down-ip-addr-show-dev-eth0");
    expectFixture(s, "ip -br addr", "nginx-1", "nginx-1-eth0-down-ip-br-addr");
    expectFixture(s, "ip route", "nginx-1", "nginx-1-eth0-down-ip-route");
    expectFixture(s, "ip neigh", "nginx-1", "nginx-1-eth0-down-ip-neigh");
    expectFixture(s, "ip link show veth9c02e56", HOST, "host-nginx-1-eth0-down-ip-link-show-veth9c02e56");
    expectFixture(s, "ip route", HOST, "host-nginx-1-eth0-down-ip-route");
    s.run("ip link set eth0 up", "nginx-1");
    expectFixture(s, "ip route", "nginx-1", "nginx-1-eth0-up-again-ip-route");
  });

  it("host: the container's peer goes down, so eth0 loses carrier and its routes are linkdown", () => {
    const s = new ToolSession();
    s.run("ip link set veth9c02e56 down");
    expectFixture(s, "ip link show dev eth0", "nginx-1", "nginx-1-peer-down-ip-link-show-dev-eth0");
    expectFixture(s, "ip route", "nginx-1", "nginx-1-peer-down-ip-route");
    // eth0 keeps its link-local address: it had it before the peer went down.
    expect(s.run("ip -br addr show eth0", "nginx-1").output).toBe("eth0@if3         DOWN           172.17.0.2/16 fe80::42:acff:fe11:2/64 \n");
  });

  it("host: both ports down leave docker0 without carrier; up again restores the route", () => {
    const s = new ToolSession();
    s.run("ip link set veth9c02e56 down");
    s.run("ip link set vethb4963f3 down");
    expectFixture(s, "ip route", HOST, "host-ports-down-ip-route");
    expectFixture(s, "ip link show dev docker0", HOST, "host-ports-down-ip-link-show-dev-docker0");
    expectFixture(s, "ip addr show dev docker0", HOST, "host-ports-down-ip-addr-show-dev-docker0");
    expectFixture(s, "ip -br link", HOST, "host-ports-down-ip-br-link");
    s.run("ip link set veth9c02e56 up");
    s.run("ip link set vethb4963f3 up");
    expectFixture(s, "ip route", HOST, "host-ports-up-again-ip-route");
  });

  it("a docker0 that never had a port has no carrier and no link-local address", () => {
    const spec = chapterTopology({ containers: [] });
    spec.hosts[0]!.veths = [];
    spec.hosts[0]!.routes = [];
    const s = new ToolSession(spec);
    expectFixture(s, "ip addr show dev docker0", HOST, "host-no-ports-ip-addr-show-dev-docker0");
    expectFixture(s, "ip link show dev docker0", HOST, "host-no-ports-ip-link-show-dev-docker0");
    expectFixture(s, "ip route", HOST, "host-no-ports-ip-route");
  });

  it("mtu changes the device; master/nomaster enslave and release", () => {
    const s = new ToolSession();
    expect(s.run("ip link set eth0 mtu 1400", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip link show eth0", "nginx-1").output).toContain("mtu 1400 qdisc noqueue");
    expect(s.run("ip link set veth9c02e56 nomaster").exitCode).toBe(0);
    expect(s.run("ip link show veth9c02e56").output).toContain("mtu 1500 qdisc noqueue state UP mode DEFAULT");
    expect(s.run("ip link set veth9c02e56 master docker0").exitCode).toBe(0);
    expect(s.run("ip link show veth9c02e56").output).toContain("qdisc noqueue master docker0 state UP");
  });

  it("ip link add makes a bridge or a same-namespace veth pair (peer first); del removes them", () => {
    const s = new ToolSession();
    expect(s.run("ip link add br9 type bridge", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip link add va type veth peer name vb", "nginx-1").exitCode).toBe(0);
    const out = s.run("ip -br link", "nginx-1").output.split("\n");
    expect(out[2]).toMatch(/^br9 {14}DOWN {11}[0-9a-f:]{17} <BROADCAST,MULTICAST> $/);
    expect(out[3]).toMatch(/^vb@va {12}DOWN {11}[0-9a-f:]{17} <BROADCAST,MULTICAST,M-DOWN> $/);
    expect(out[4]).toMatch(/^va@vb {12}DOWN/);
    expect(s.run("ip link show br9", "nginx-1").output).toMatch(/^3: br9: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN mode DEFAULT/);
    expect(s.run("ip link add eth0 type bridge", "nginx-1")).toEqual({ output: "RTNETLINK answers: File exists\n", exitCode: 2 });
    expect(s.run("ip link add foo0", "nginx-1")).toEqual({ output: `Not enough information: "type" argument is required\n`, exitCode: 1 });
    expect(s.run("ip link add foo0 type dummyx", "nginx-1")).toEqual({ output: "Error: Unknown device type.\n", exitCode: 2 });
    expect(s.run("ip link add averyveryverylongname type bridge", "nginx-1")).toEqual({ output: "Error: Attribute failed policy validation.\n", exitCode: 2 });
    // One end up, the other down: LOWERLAYERDOWN (the partner is in this namespace), M-DOWN.
    s.run("ip link set va up", "nginx-1");
    expect(s.run("ip -br link show va", "nginx-1").output).toMatch(/^va@vb {12}LOWERLAYERDOWN [0-9a-f:]{17} <NO-CARRIER,BROADCAST,MULTICAST,UP,M-DOWN> \n$/);
    expect(s.run("ip link del va", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip link show vb", "nginx-1")).toEqual({ output: `Device "vb" does not exist.\n`, exitCode: 1 });
    expect(s.run("ip link del br9", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip link del lo", "nginx-1")).toEqual({ output: "RTNETLINK answers: Operation not supported\n", exitCode: 2 });
  });
});

describe("ip route changes", () => {
  it("add, list in kernel order, delete (fixtures), and metrics sort within a prefix", () => {
    const s = new ToolSession();
    expectFixture(s, "ip route add 10.1.0.0/16 via 172.17.0.254", "nginx-1", "nginx-1-ip-route-add-10-1-0-0-16-via-172-17-0-254");
    expectFixture(s, "ip route", "nginx-1", "nginx-1-ip-route-after-add-10-1-0-0-16");
    expectFixture(s, "ip route del 10.1.0.0/16", "nginx-1", "nginx-1-ip-route-del-10-1-0-0-16");
    for (const cmd of [
      "ip route add 10.1.0.0/16 via 172.17.0.254 metric 100",
      "ip route add 10.1.0.0/24 via 172.17.0.254",
      "ip route add 10.1.0.0/16 via 172.17.0.254 metric 50",
      "ip route add 10.2.0.0/16 dev eth0",
      "ip route add 10.3.0.0/16 via 10.9.9.9 dev eth0 onlink",
      "ip route add 10.5.0.0/16 via 172.17.0.2",
      "ip route add 10.8.0.0/16 via 127.0.0.5",
    ]) {
      expect(s.run(cmd, "nginx-1")).toEqual({ output: "", exitCode: 0 });
    }
    expect(s.run("ip route", "nginx-1").output).toBe(
      "default via 172.17.0.1 dev eth0 \n" +
        "10.1.0.0/24 via 172.17.0.254 dev eth0 \n" +
        "10.1.0.0/16 via 172.17.0.254 dev eth0 metric 50 \n" +
        "10.1.0.0/16 via 172.17.0.254 dev eth0 metric 100 \n" +
        "10.2.0.0/16 dev eth0 scope link \n" +
        "10.3.0.0/16 via 10.9.9.9 dev eth0 onlink \n" +
        "10.5.0.0/16 via 172.17.0.2 dev eth0 \n" +
        "10.8.0.0/16 via 127.0.0.5 dev lo \n" +
        "172.17.0.0/16 dev eth0 proto kernel scope link src 172.17.0.2 \n",
    );
    expect(s.run("ip route show 10.1.0.0/16", "nginx-1").output).toBe("10.1.0.0/16 via 172.17.0.254 dev eth0 metric 50 \n10.1.0.0/16 via 172.17.0.254 dev eth0 metric 100 \n");
    expect(s.run("ip route get 10.1.0.1", "nginx-1").output).toBe("10.1.0.1 via 172.17.0.254 dev eth0 src 172.17.0.2 uid 0 \n    cache \n");
    // Without a metric, del takes the first of the prefix (the lowest metric).
    s.run("ip route del 10.1.0.0/16", "nginx-1");
    expect(s.run("ip route show 10.1.0.0/16", "nginx-1").output).toBe("10.1.0.0/16 via 172.17.0.254 dev eth0 metric 100 \n");
    expect(s.run("ip route del 10.1.0.0/16 metric 50", "nginx-1")).toEqual({ output: "RTNETLINK answers: No such process\n", exitCode: 2 });
    // replace swaps the route with the same prefix and metric, or adds it.
    s.run("ip route replace 10.1.0.0/24 via 172.17.0.253", "nginx-1");
    s.run("ip route replace 10.4.0.0/24 via 172.17.0.253", "nginx-1");
    expect(s.run("ip route show 10.1.0.0/24", "nginx-1").output).toBe("10.1.0.0/24 via 172.17.0.253 dev eth0 \n");
    expect(s.run("ip route show 10.4.0.0/24", "nginx-1").output).toBe("10.4.0.0/24 via 172.17.0.253 dev eth0 \n");
    expect(s.run("ip route change 10.6.0.0/24 via 172.17.0.253", "nginx-1")).toEqual({ output: "RTNETLINK answers: No such file or directory\n", exitCode: 2 });
  });

  it("a device that is down takes no routes", () => {
    const s = new ToolSession();
    s.run("ip link add tv0 type veth peer name tv1", "nginx-1");
    expect(s.run("ip route add 10.70.0.0/16 dev tv0", "nginx-1")).toEqual({ output: "Error: Device for nexthop is not up.\n", exitCode: 2 });
    expect(s.run("ip route add 10.71.0.0/16 via 1.2.3.4 dev tv0 onlink", "nginx-1")).toEqual({ output: "Error: Nexthop device is not up.\n", exitCode: 2 });
  });

  it("a route through a device without carrier is linkdown, except host-scope local routes", () => {
    const s = new ToolSession();
    s.run("ip link add ta type veth peer name tb", "nginx-1");
    s.run("ip addr add 10.80.0.1/24 brd + dev ta", "nginx-1");
    s.run("ip link set ta up", "nginx-1");
    s.run("ip route add 10.81.0.0/16 via 10.80.0.5", "nginx-1");
    expect(s.run("ip route show table all dev ta", "nginx-1").output).toBe(
      "10.80.0.0/24 proto kernel scope link src 10.80.0.1 linkdown \n" +
        "10.81.0.0/16 via 10.80.0.5 linkdown \n" +
        "local 10.80.0.1 table local proto kernel scope host src 10.80.0.1 \n" +
        "broadcast 10.80.0.255 table local proto kernel scope link src 10.80.0.1 linkdown \n",
    );
  });
});

describe("ip neigh", () => {
  it("after nginx-1 pings nginx-2: REACHABLE in the pinger, DELAY then REACHABLE in the target, nothing on the host", () => {
    const s = new ToolSession();
    s.run("ping -c 3 172.17.0.3", "nginx-1");
    expectFixture(s, "ip neigh", "nginx-1", "nginx-1-ip-neigh-after-ping");
    expectFixture(s, "ip neigh", "nginx-2", "nginx-2-ip-neigh-after-ping");
    expectFixture(s, "ip neigh", HOST, "host-ip-neigh-after-ping");
    s.advance(6_000_000);
    expectFixture(s, "ip neigh", "nginx-2", "nginx-2-ip-neigh-after-ping-settled");
    expectFixture(s, "ip neigh show dev eth0", "nginx-1", "nginx-1-ip-neigh-show-dev-eth0");
    expectFixture(s, "ip neigh show 172.17.0.3", "nginx-1", "nginx-1-ip-neigh-show-172-17-0-3");
  });

  it("after pinging the gateway both containers' entries are listed, and the host learnt nginx-1", () => {
    const s = new ToolSession();
    s.run("ping -c 3 172.17.0.3", "nginx-1");
    s.run("ping -c 2 172.17.0.1", "nginx-1");
    expectFixture(s, "ip neigh", "nginx-1", "nginx-1-ip-neigh-after-gateway-ping");
    expectFixture(s, "ip neigh", HOST, "host-ip-neigh-after-gateway-ping");
  });

  it("an unknown host is INCOMPLETE while ARP retries, then FAILED; nud filters select states", () => {
    const s = new ToolSession();
    s.run("ping -c 2 172.17.0.1", "nginx-1");
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    s.advance(40_000_000);
    // Using the stale gateway entry sends it through DELAY; its probe is answered and it is REACHABLE again.
    s.run("ping -c 1 172.17.0.1", "nginx-1");
    s.advance(6_000_000);
    s.run("ping -c 2 -W 1 172.17.0.99", "nginx-1");
    expectFixture(s, "ip neigh", "nginx-1", "nginx-1-ip-neigh-after-failed-ping");
    s.advance(3_000_000);
    expectFixture(s, "ip neigh", "nginx-1", "nginx-1-ip-neigh-after-failed-ping-3s");
    expectFixture(s, "ip neigh show nud failed", "nginx-1", "nginx-1-ip-neigh-show-nud-failed");
  });

  it("REACHABLE goes STALE without traffic; using it passes through DELAY back to REACHABLE", () => {
    const s = new ToolSession();
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    expectFixture(s, "ip neigh", "nginx-1", "nginx-1-ip-neigh-reachable");
    s.advance(75_000_000);
    expectFixture(s, "ip neigh", "nginx-1", "nginx-1-ip-neigh-stale");
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    expectFixture(s, "ip neigh", "nginx-1", "nginx-1-ip-neigh-delay");
    s.advance(6_000_000);
    expectFixture(s, "ip neigh", "nginx-1", "nginx-1-ip-neigh-after-delay");
  });

  it("add (permanent by default), replace, nud reachable/stale, del and flush", () => {
    const s = new ToolSession();
    expect(s.run("ip neigh add 172.17.0.50 lladdr 02:42:ac:11:00:32 dev eth0", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip neigh add 172.17.0.51 lladdr 02:42:ac:11:00:33 dev eth0 nud reachable", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip neigh add 172.17.0.52 lladdr 02:42:ac:11:00:34 dev eth0 nud stale", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip neigh add 172.17.0.50 lladdr 02:42:ac:11:00:32 dev eth0", "nginx-1")).toEqual({ output: "RTNETLINK answers: File exists\n", exitCode: 2 });
    expect(s.run("ip neigh replace 172.17.0.50 lladdr 02:42:ac:11:00:99 dev eth0", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip neigh", "nginx-1").output).toBe(
      "172.17.0.50 dev eth0 lladdr 02:42:ac:11:00:99 PERMANENT \n" +
        "172.17.0.51 dev eth0 lladdr 02:42:ac:11:00:33 REACHABLE \n" +
        "172.17.0.52 dev eth0 lladdr 02:42:ac:11:00:34 STALE \n",
    );
    s.advance(31_000_000);
    // The stack's timer took REACHABLE to STALE; the permanent entry has no timer.
    expect(s.run("ip neigh show 172.17.0.51", "nginx-1").output).toBe("172.17.0.51 dev eth0 lladdr 02:42:ac:11:00:33 STALE \n");
    expect(s.run("ip neigh del 172.17.0.51 dev eth0", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip neigh flush dev eth0", "nginx-1").exitCode).toBe(0);
    expect(s.run("ip neigh", "nginx-1").output).toBe("172.17.0.50 dev eth0 lladdr 02:42:ac:11:00:99 PERMANENT \n");
  });

  it("ip -s neigh adds ref/used/probes in iproute2 6.1's spacing", () => {
    const s = new ToolSession();
    s.run("ping -c 1 172.17.0.3", "nginx-1");
    s.advance(2_000_000);
    expect(s.run("ip -s neigh", "nginx-1").output).toMatch(/^172\.17\.0\.3 dev eth0 lladdr 02:42:ac:11:00:03 {2}ref 1 used \d+\/\d+\/\d+probes \d+ REACHABLE \n$/);
  });
});

describe("ip netns", () => {
  function namedSpec(): TopologySpec {
    const spec = chapterTopology({ containers: [] });
    spec.hosts[0]!.namespaces = ["nginx-1", "nginx-2"];
    return spec;
  }

  it("peers in named namespaces print as link-netns NAME", () => {
    const s = new ToolSession(namedSpec());
    const f = linuxFixture("named-netns-host-ip-addr");
    expect(s.run("ip addr").output).toBe(f.text);
    expect(s.run("ip link").output).toBe(linuxFixture("named-netns-host-ip-link").text);
    expect(s.run("ip -d link show veth9c02e56").output).toBe(linuxFixture("named-netns-host-ip-d-link-show-veth9c02e56").text);
    expect(s.run("ip netns list-id").output).toBe(linuxFixture("named-netns-host-ip-netns-list-id").text);
  });

  it("list, exec, -n, add and delete", () => {
    const s = new ToolSession(namedSpec());
    expect(s.run("ip netns").output).toBe("nginx-1 (id: 0)\nnginx-2 (id: 1)\n");
    expect(s.run("ip netns exec nginx-1 ip -br addr show eth0").output).toBe("eth0@if3         UP             172.17.0.2/16 fe80::42:acff:fe11:2/64 \n");
    expect(s.run("ip -n nginx-1 -br addr show eth0").output).toBe("eth0@if3         UP             172.17.0.2/16 fe80::42:acff:fe11:2/64 \n");
    expect(s.run("ip netns add nginx-1")).toEqual({ output: `Cannot create namespace file "/run/netns/nginx-1": File exists\n`, exitCode: 1 });
    expect(s.run("ip netns add lab").exitCode).toBe(0);
    expect(s.run("ip netns exec lab ip link").output).toBe(
      "1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN mode DEFAULT group default qlen 1000\n    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n",
    );
    expect(s.run("ip netns del lab").exitCode).toBe(0);
    expect(s.run("ip netns del lab")).toEqual({ output: `Cannot remove namespace file "/run/netns/lab": No such file or directory\n`, exitCode: 1 });
    expect(s.run("ip netns exec nginx-1")).toEqual({ output: "No command specified\n", exitCode: 1 });
  });

  it("a container's namespace is not under /run/netns; from a container none are visible", () => {
    const s = new ToolSession();
    expect(s.run("ip netns list").output).toBe("");
    expect(s.run("ip netns exec nginx-1 ip addr")).toEqual({ output: `Cannot open network namespace "nginx-1": No such file or directory\n`, exitCode: 255 });
  });

  it("ip link set X netns moves a device down and without addresses", () => {
    const s = new ToolSession(namedSpec());
    s.run("ip link add va type veth peer name vb");
    s.run("ip addr add 10.5.0.1/24 dev vb");
    expect(s.run("ip link set vb netns nginx-2").exitCode).toBe(0);
    expect(s.run("ip link show vb")).toEqual({ output: `Device "vb" does not exist.\n`, exitCode: 1 });
    expect(s.run("ip -br link show va").output).toMatch(/^va@if3 +DOWN/);
    expect(s.run("ip -br addr show vb", "nginx-2").output).toBe("vb@if6           DOWN           \n");
    expect(s.run("ip link set va netns nosuch")).toEqual({ output: `Error: argument "nosuch" is wrong: Invalid "netns" value\n\n`, exitCode: 255 });
  });
});
