// ip link add … type vxlan: a VTEP made by hand, shown by ip -d link as iproute2 shows it, carrying traffic between two namespaces.
import { describe, expect, it } from "vitest";
import { linuxFixture } from "../helpers/linux-fixtures.js";
import { routedEngine } from "../helpers/routed-topology.js";

/** The random MAC and the interface index differ between runs. */
const masked = (text: string) => text.replace(/link\/ether [0-9a-f:]{17}/, "link/ether M").replace(/^\d+: /, "N: ");

describe("ip link add type vxlan", () => {
  it.each([
    ["ip link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 dev vethrtr0 nolearning", "ip-d-link-show-vxlan-local-dev-nolearning"],
    ["ip link add vx1 type vxlan id 7 remote 10.0.0.2 dstport 4789 dev vethrtr0", "ip-d-link-show-vxlan-remote"],
  ])("%s, then ip -d link show, prints what Linux prints", (command, fixture) => {
    const engine = routedEngine();
    expect(engine.run({ host: "node1", command })).toMatchObject({ exitCode: 0, output: "" });
    const r = engine.run({ host: "node1", command: `ip -d link show ${command.split(" ")[3]}` });
    expect(masked(r.output)).toBe(masked(linuxFixture(fixture).text));
  });

  it("a remote is the all-zero FDB entry, as bridge fdb shows it", () => {
    const engine = routedEngine();
    engine.run({ host: "node1", command: "ip link add vx1 type vxlan id 7 remote 10.0.0.2 dstport 4789 dev vethrtr0" });
    expect(engine.run({ host: "node1", command: "bridge fdb show dev vx1" }).output).toContain("00:00:00:00:00:00 dst 10.0.0.2");
  });

  it("warns without dstport (and uses 8472), refuses a missing id, deletes with ip link del", () => {
    const engine = routedEngine();
    const run = (command: string) => engine.run({ host: "node1", command });
    const warned = run("ip link add vx2 type vxlan id 9");
    expect(warned.output).toBe(linuxFixture("ip-link-add-vxlan-no-dstport").text);
    expect(run("ip -d link show vx2").output).toContain("dstport 8472");
    expect(run("ip link add vx3 type vxlan dstport 4789")).toMatchObject({ exitCode: 1, output: linuxFixture("ip-link-add-vxlan-no-id").text });
    expect(run("ip link del vx2")).toMatchObject({ exitCode: 0, output: "" });
    expect(run("ip link show vx2")).toMatchObject({ exitCode: 1, output: 'Device "vx2" does not exist.\n' });
    expect(run("ip link add vx4 type vxlan id 1 dev nosuch").output).toBe('Cannot find device "nosuch"\n');
  });

  it("two hand-made VTEPs carry a ping between the host and the router, wrapped in UDP 4789", () => {
    const engine = routedEngine();
    const at = (namespace: string | undefined, command: string) => expect(engine.run({ host: "node1", namespace, command }).exitCode).toBe(0);
    at(undefined, "ip link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.1 remote 10.0.0.2 dev vethrtr0");
    at(undefined, "ip addr add 192.168.99.1/24 dev vx0");
    at(undefined, "ip link set vx0 up");
    at("router", "ip link add vx0 type vxlan id 42 dstport 4789 local 10.0.0.2 remote 10.0.0.1 dev eth0");
    at("router", "ip addr add 192.168.99.2/24 dev vx0");
    at("router", "ip link set vx0 up");
    const r = engine.run({ host: "node1", command: "ping -c 1 192.168.99.2" });
    expect(r.exitCode).toBe(0);
    const dump = engine.run({ host: "node1", command: "tcpdump -i vethrtr0 -n -t udp port 4789" }).output;
    expect(dump).toMatch(/IP 10\.0\.0\.1\.\d+ > 10\.0\.0\.2\.4789: VXLAN, flags \[I\] \(0x08\), vni 42: IP 192\.168\.99\.1 > 192\.168\.99\.2: ICMP echo request/);
  });
});

describe("ip link add type tun", () => {
  it("is refused as the kernel refuses it: TUN devices come from /dev/net/tun (ip tuntap), not rtnetlink", () => {
    const r = routedEngine().run({ host: "node1", command: "ip link add tun1 type tun" });
    const real = linuxFixture("ip-link-add-type-tun");
    expect(r).toMatchObject({ exitCode: real.exit, output: real.text });
  });
});
