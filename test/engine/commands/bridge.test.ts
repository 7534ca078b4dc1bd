/** `bridge fdb` / `bridge link` print what iproute2 6.1 prints for docker0 (test/fixtures/linux). */
import { describe, expect, it } from "vitest";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";
import { ToolSession } from "../helpers/tool-session.js";

function expectFixture(s: ToolSession, command: string, file: string, namespace = "root"): void {
  const f = linuxFixture(file);
  expect(s.run(command, namespace)).toEqual({ output: f.text, exitCode: f.exit });
}

function afterPing(): ToolSession {
  const s = new ToolSession();
  s.run("ping -c 3 172.17.0.3", "nginx-1");
  return s;
}

function noPorts(): ToolSession {
  const spec = chapterTopology({ containers: [] });
  spec.hosts[0]!.veths = [];
  spec.hosts[0]!.routes = [];
  return new ToolSession(spec);
}

describe("bridge fdb show", () => {
  it("nginx-1 pings nginx-2: docker0 has learnt each container's MAC behind its port", () => {
    const s = afterPing();
    expectFixture(s, "bridge fdb show", "host-bridge-fdb-show-after-ping");
    expectFixture(s, "bridge fdb show br docker0", "host-bridge-fdb-show-br-docker0-after-ping");
  });

  it("before any traffic only the permanent entries are listed", () => {
    const lines = new ToolSession().run("bridge fdb show").output.split("\n");
    const recorded = linuxFixture("host-bridge-fdb-show-before-ping").text.split("\n");
    // The recording had IPv6 traffic before the ping (learnt entries); the simulator sends none.
    expect(lines).toEqual(recorded.filter((l) => !l.endsWith("master docker0 ")));
  });

  it("-s adds used A/B seconds after the device", () => {
    const s = afterPing();
    const f = linuxFixture("host-bridge-s-fdb-show-br-docker0-after-ping");
    const mask = (t: string) => t.replace(/used \d+\/\d+/g, "used A/B");
    expect(mask(s.run("bridge -s fdb show br docker0").output)).toBe(mask(f.text));
  });

  it("a learnt entry idle for the ageing time is no longer listed", () => {
    const s = afterPing();
    // The last frames crossed docker0 at ~5 s (nginx-2's ARP probe out of DELAY); 300 s later they are forgotten.
    s.advance(310_000_000);
    expect(s.run("bridge fdb show dev veth9c02e56").output).toBe(
      // With `dev X`, iproute2 leaves "dev X" out of every line.
      "7a:a6:95:8e:9a:47 master docker0 permanent\n" +
        "33:33:00:00:00:01 self permanent\n" +
        "01:00:5e:00:00:01 self permanent\n" +
        "33:33:ff:8e:9a:47 self permanent\n",
    );
  });

  it("a docker0 without ports: no solicited-node group (no link-local address yet)", () => {
    expectFixture(noPorts(), "bridge fdb show", "host-no-ports-bridge-fdb-show");
  });

  it("a port that went down has left its multicast groups and forgotten its learnt MACs", () => {
    const s = afterPing();
    s.run("ip link set veth9c02e56 down");
    expect(s.run("bridge fdb show dev veth9c02e56").output).toBe("7a:a6:95:8e:9a:47 master docker0 permanent\n");
  });

  it("unknown bridge or device", () => {
    expectFixture(new ToolSession(), "bridge fdb show br nosuch", "host-bridge-fdb-show-br-nosuch");
    expectFixture(new ToolSession(), "bridge fdb show dev nosuch", "host-bridge-fdb-show-dev-nosuch");
  });
});

describe("bridge link", () => {
  it("lists the ports with their STP state and cost", () => {
    expectFixture(new ToolSession(), "bridge link", "host-bridge-link");
    expectFixture(afterPing(), "bridge link", "host-bridge-link-after-ping");
    expect(new ToolSession().run("bridge link show dev vethb4963f3").output).toBe(
      "4: vethb4963f3@docker0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 master docker0 state forwarding priority 32 cost 2 \n",
    );
  });

  it("a port whose container end is down has no carrier and is disabled", () => {
    const s = new ToolSession();
    s.run("ip link set eth0 down", "nginx-1");
    expectFixture(s, "bridge link", "host-nginx-1-eth0-down-bridge-link");
  });

  it("ports set down are disabled", () => {
    const s = new ToolSession();
    s.run("ip link set veth9c02e56 down");
    s.run("ip link set vethb4963f3 down");
    expectFixture(s, "bridge link", "host-ports-down-bridge-link");
  });

  it("no ports, no lines", () => {
    expectFixture(noPorts(), "bridge link", "host-no-ports-bridge-link");
  });

  it("bridge vlan show: the recorded kernel has no VLAN filtering, only the header", () => {
    expectFixture(new ToolSession(), "bridge vlan show", "host-bridge-vlan-show");
  });
});

describe("bridge refuses like iproute2", () => {
  for (const [command, output, exitCode] of [
    ["bridge foo", `Object "foo" is unknown, try "bridge help".\n`, 255],
    ["bridge fdb foo", `Command "foo" is unknown, try "bridge fdb help".\n`, 255],
    ["bridge link show dev nosuch", `Cannot find device "nosuch"\n`, 255],
    ["bridge -x fdb", `Option "-x" is unknown, try "bridge help".\n`, 255],
    ["bridge fdb add 02:42:ac:11:00:09 dev veth9c02e56", `bridge fdb add: not simulated in cnlab\n`, 1],
  ] as const) {
    it(command, () => expect(new ToolSession().run(command)).toEqual({ output, exitCode }));
  }

  it("bridge -V", () => {
    expect(new ToolSession().run("bridge -V").output).toBe("bridge utility, 6.1.0\n");
  });
});
