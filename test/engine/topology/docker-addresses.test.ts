/**
 * Docker's address allocation on docker0: the lowest free address of the
 * bridge's subnet after the gateway, where "free" means no device of the host
 * holds it and no container keeps it; and a host may hold a thousand
 * containers.
 */
import { Compile } from "typebox/compile";
import { describe, expect, it } from "vitest";
import { buildNetwork } from "../../../server/engine/topology/build-network.js";
import { TopologySpec, type HostSpec } from "../../../server/engine/topology/topology-schema.js";
import { validateTopology } from "../../../server/engine/topology/validate-topology.js";
import { ToolSession } from "../helpers/tool-session.js";

function addressOf(t: ToolSession, name: string): string {
  const out = t.run(`docker inspect -f '{{.NetworkSettings.IPAddress}}' ${name}`);
  expect(out.exitCode).toBe(0);
  return out.output.trim();
}

describe("docker run's address on docker0", () => {
  it("skips an address a device of the host holds, and takes it once the device lets it go", () => {
    const t = new ToolSession();
    // nginx-1 and nginx-2 hold .2 and .3; the root namespace's lo is given .4.
    expect(t.run("ip addr add 172.17.0.4/32 dev lo").exitCode).toBe(0);
    expect(t.run("docker run -d --name web-a nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-a")).toBe("172.17.0.5");
    expect(t.run("ip addr del 172.17.0.4/32 dev lo").exitCode).toBe(0);
    expect(t.run("docker run -d --name web-b nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-b")).toBe("172.17.0.4");
  });

  it("skips addresses in other namespaces, and frees a container's address with docker rm and a namespace's with ip netns del", () => {
    const t = new ToolSession();
    expect(t.run("ip netns add lab").exitCode).toBe(0);
    expect(t.run("ip link add dummy0 type veth peer name dummy1").exitCode).toBe(0);
    expect(t.run("ip link set dummy1 netns lab").exitCode).toBe(0);
    expect(t.run("ip addr add 172.17.0.4/16 dev dummy1", "lab").exitCode).toBe(0);
    expect(t.run("docker run -d --name web-a nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-a")).toBe("172.17.0.5");
    expect(t.run("docker run -d --name web-b nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-b")).toBe("172.17.0.6");
    expect(t.run("docker rm -f web-a").exitCode).toBe(0);
    expect(t.run("ip netns del lab").exitCode).toBe(0);
    expect(t.run("docker run -d --name web-c nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-c")).toBe("172.17.0.4");
    expect(t.run("docker run -d --name web-d nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-d")).toBe("172.17.0.5");
  });

  it("keeps a stopped container's address from others until docker rm, however many runs came between", () => {
    const t = new ToolSession();
    for (const name of ["web-a", "web-b", "web-c"]) expect(t.run(`docker run -d --name ${name} nginx`).exitCode).toBe(0);
    expect(addressOf(t, "web-b")).toBe("172.17.0.5");
    expect(t.run("docker stop web-b").exitCode).toBe(0);
    expect(t.run("docker run -d --name web-d nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-d")).toBe("172.17.0.7");
    expect(t.run("docker run -d --name web-e nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-e")).toBe("172.17.0.8");
    expect(t.run("docker rm web-b").exitCode).toBe(0);
    expect(t.run("docker run -d --name web-f nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-f")).toBe("172.17.0.5");
    expect(t.run("docker run -d --name web-g nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-g")).toBe("172.17.0.9");
  });

  it("gives back with docker rm an address the container kept reserved with no device holding it", () => {
    const t = new ToolSession();
    expect(t.run("docker run -d --name web-a nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-a")).toBe("172.17.0.4");
    expect(t.run("ip addr del 172.17.0.4/16 dev eth0", "web-a").exitCode).toBe(0);
    expect(t.run("docker run -d --name web-b nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-b")).toBe("172.17.0.5");
    expect(t.run("docker rm -f web-a").exitCode).toBe(0);
    expect(t.run("docker run -d --name web-c nginx").exitCode).toBe(0);
    expect(addressOf(t, "web-c")).toBe("172.17.0.4");
  });

  it("gives a thousand containers run one after another the first thousand addresses after the gateway", () => {
    const t = new ToolSession({ hosts: [{ name: "node1", forwarding: true, bridges: [{ name: "docker0", addresses: ["172.17.0.1/16"] }] }] });
    for (let i = 0; i < 1000; i++) expect(t.run(`docker run -d --name c${i} nginx`).exitCode).toBe(0);
    expect(addressOf(t, "c0")).toBe("172.17.0.2");
    expect(addressOf(t, "c253")).toBe("172.17.0.255");
    expect(addressOf(t, "c254")).toBe("172.17.1.0");
    // 1001 is 3 × 256 + 233.
    expect(addressOf(t, "c999")).toBe("172.17.3.233");
  });
});

describe("a host's container count", () => {
  const host = (n: number): HostSpec => ({
    name: "node1",
    bridges: [{ name: "docker0", addresses: ["172.17.0.1/16"] }],
    containers: Array.from({ length: n }, (_, i) => ({ name: `c${i}`, image: "nginx", network: "none" as const })),
  });

  const schema = Compile(TopologySpec);

  it("may be a thousand and more, up to 1024", () => {
    expect(schema.Check({ hosts: [host(1024)] })).toBe(true);
    expect(validateTopology({ hosts: [host(1024)] })).toEqual([]);
    const net = buildNetwork({ hosts: [host(1000)] }, { seed: 1, startTime: 0, eventBudget: 100_000 });
    expect([...net.hosts.values()][0]!.containers.size).toBe(1000);
  });

  it("is refused past 1024", () => {
    expect(schema.Check({ hosts: [host(1025)] })).toBe(false);
  });
});
