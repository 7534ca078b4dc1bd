/**
 * The session's object limits, met from the terminal of the bridge lab: a
 * command that would pass one fails with the message naming it and the exit
 * code its tool gives when the kernel refuses, changing nothing, and works
 * again once something is deleted; what the kernel learns by itself (FDB and
 * neighbour entries) is simply not learnt past the limit, and the packets
 * show what that costs.
 */
import { describe, expect, it } from "vitest";
import type { Engine } from "../../../server/engine/engine.js";
import { DEFAULT_LIMITS, type EngineLimits } from "../../../server/engine/limits.js";
import type { ObjectCounts } from "../../../server/engine/object-quota.js";
import { buildNetwork } from "../../../server/engine/topology/build-network.js";
import type { TopologySpec } from "../../../server/engine/topology/topology-schema.js";
import { labEngine, loadLab } from "../helpers/lab-engine.js";

const LAB = "bridge-two-containers";

/** What the lab holds when it starts: the limits below are set relative to it. */
const base: ObjectCounts = buildNetwork(loadLab(LAB).topology as TopologySpec, { seed: 1, startTime: 0, eventBudget: 1_000_000 }).quota.counts();

function session(limits: Partial<EngineLimits>) {
  const engine: Engine = labEngine(LAB, { limits: { ...DEFAULT_LIMITS, ...limits } });
  const run = (command: string, namespace?: string) => engine.run({ host: "node1", command, ...(namespace !== undefined ? { namespace } : {}) });
  /** The network as the state API shows it, without the clock. */
  const state = () => {
    const { time: _time, ...rest } = engine.state();
    return rest;
  };
  return { engine, run, state };
}

const reached = (limit: number, what: string) => `cnlab: this session has reached its limit of ${limit} ${what}; delete some first\n`;

describe("devices", () => {
  it("ip link add, brctl addbr, ip netns add and docker run are refused at the limit, changing nothing; a deletion makes room", () => {
    const limit = base.devices + 2;
    const { run, state } = session({ devices: limit });
    expect(run("ip link add v0 type veth peer name v1").exitCode).toBe(0);
    const before = state();
    expect(run("ip link add br1 type bridge")).toMatchObject({ exitCode: 2, output: reached(limit, "network devices") });
    expect(run("brctl addbr br1")).toMatchObject({ exitCode: 1, output: reached(limit, "network devices") });
    expect(run("ip netns add lab")).toMatchObject({ exitCode: 1, output: `Failed to create a new network namespace "lab": ${reached(limit, "network devices")}` });
    expect(run("docker run -d --name web nginx")).toMatchObject({
      exitCode: 125,
      output: `docker: Error response from daemon: ${reached(limit, "network devices").trimEnd()}.\nSee 'docker run --help'.\n`,
    });
    expect(state()).toEqual(before);
    expect(run("ip link del v0").exitCode).toBe(0);
    expect(run("ip link add br1 type bridge").exitCode).toBe(0);
  });

  it("a veth pair needs room for both ends", () => {
    const limit = base.devices + 1;
    const { run } = session({ devices: limit });
    expect(run("ip link add v0 type veth peer name v1")).toMatchObject({
      exitCode: 2,
      output: `cnlab: this would take this session past its limit of ${limit} network devices (1 left, 2 needed); delete some first\n`,
    });
    expect(run("ip link add br1 type bridge").exitCode).toBe(0);
  });

  it("a thousand pairs added and deleted leave room for exactly one more", () => {
    const { run } = session({ devices: base.devices + 2 });
    for (let i = 0; i < 1000; i++) {
      run("ip link add v0 type veth peer name v1");
      run("ip link del v0");
    }
    expect(run("ip link add v0 type veth peer name v1").exitCode).toBe(0);
    expect(run("ip link add br1 type bridge").exitCode).toBe(2);
  });
});

describe("addresses", () => {
  it("ip addr add is refused at the limit with exit 2; deleting one makes room", () => {
    const limit = base.addresses + 1;
    const { run, state } = session({ addresses: limit });
    expect(run("ip addr add 10.9.0.1/24 dev eth0").exitCode).toBe(0);
    const before = state();
    expect(run("ip addr add 10.9.1.1/24 dev eth0")).toMatchObject({ exitCode: 2, output: reached(limit, "IPv4 addresses") });
    expect(state()).toEqual(before);
    expect(run("ip addr del 10.9.0.1/24 dev eth0").exitCode).toBe(0);
    expect(run("ip addr add 10.9.1.1/24 dev eth0").exitCode).toBe(0);
  });

  it("ifconfig replacing an address takes the room of the one it replaces", () => {
    const { run } = session({ addresses: base.addresses });
    expect(run("ifconfig eth0 10.168.0.20 netmask 255.255.255.0").exitCode).toBe(0);
    expect(run("ip addr show eth0").output).toContain("inet 10.168.0.20/24");
  });
});

describe("routes", () => {
  it("ip route add and route add are refused at the limit; a replacement fits; deleting one makes room", () => {
    const limit = base.routes + 1;
    const { run, state } = session({ routes: limit });
    expect(run("ip route add 10.50.0.0/16 via 10.168.0.1").exitCode).toBe(0);
    const before = state();
    expect(run("ip route add 10.51.0.0/16 via 10.168.0.1")).toMatchObject({ exitCode: 2, output: reached(limit, "routes") });
    expect(run("route add -net 10.51.0.0/16 gw 10.168.0.1")).toMatchObject({ exitCode: 7, output: reached(limit, "routes") });
    expect(state()).toEqual(before);
    expect(run("ip route replace 10.50.0.0/16 via 10.168.0.254").exitCode).toBe(0);
    expect(run("ip route del 10.50.0.0/16").exitCode).toBe(0);
    expect(run("ip route add 10.51.0.0/16 via 10.168.0.1").exitCode).toBe(0);
  });

  it("the routes the kernel makes for an address count: an address whose routes do not fit is refused whole", () => {
    const { run, state } = session({ routes: base.routes });
    const before = state();
    expect(run("ip addr add 10.9.0.1/24 dev eth0")).toMatchObject({ exitCode: 2, output: reached(base.routes, "routes") });
    expect(state()).toEqual(before);
  });

  it("ip link set up is refused when its addresses' routes would not fit, and the link stays down", () => {
    const limit = base.routes;
    const { run, state } = session({ routes: limit });
    expect(run("ip link set eth0 down").exitCode).toBe(0);
    expect(run("ip route add 10.60.0.0/24 dev docker0").exitCode).toBe(0);
    const before = state();
    expect(run("ip link set eth0 up")).toMatchObject({
      exitCode: 2,
      output: `cnlab: this would take this session past its limit of ${limit} routes (2 left, 3 needed); delete some first\n`,
    });
    expect(state()).toEqual(before);
    expect(run("ip route del 10.60.0.0/24").exitCode).toBe(0);
    expect(run("ip link set eth0 up").exitCode).toBe(0);
    expect(run("ip route").output).toContain("10.168.0.0/24 dev eth0 proto kernel scope link src 10.168.0.2");
  });
});

describe("iptables rules and chains", () => {
  it("-A, -I and -N are refused at the limit with exit 1, as docker run -p is; deleting a rule makes room", () => {
    const limit = base.rules + 1;
    const { run, state } = session({ rules: limit });
    expect(run("iptables -A INPUT -j ACCEPT").exitCode).toBe(0);
    const rules = run("iptables -S").output + run("iptables -t nat -S").output;
    const before = state();
    expect(run("iptables -I INPUT 1 -j DROP")).toMatchObject({ exitCode: 1, output: reached(limit, "iptables rules and chains") });
    expect(run("iptables -N MINE")).toMatchObject({ exitCode: 1, output: reached(limit, "iptables rules and chains") });
    expect(run("docker run -d --name web -p 8080:80 nginx")).toMatchObject({ exitCode: 125 });
    expect(run("iptables -S").output + run("iptables -t nat -S").output).toBe(rules);
    expect(state()).toEqual(before);
    expect(run("iptables -D INPUT 1").exitCode).toBe(0);
    expect(run("iptables -N MINE").exitCode).toBe(0);
  });
});

describe("bridge FDB entries", () => {
  it("a bridge at its limit learns nothing and still delivers by flooding", () => {
    const { run } = session({ fdbEntries: 0 });
    const ping = run("ping -c 1 172.17.0.3", "nginx-1");
    expect(ping.exitCode).toBe(0);
    expect(ping.events.filter((e) => e.kind === "bridge-learn")).toEqual([]);
    expect(ping.events.some((e) => e.kind === "bridge-flood" && e.summary.includes("unknown unicast"))).toBe(true);
    expect(run("bridge fdb show br docker0").output).not.toMatch(/master docker0 $/m);
  });

  it("learns up to its limit", () => {
    const { run } = session({ fdbEntries: 1 });
    const ping = run("ping -c 1 172.17.0.3", "nginx-1");
    expect(ping.exitCode).toBe(0);
    expect(ping.events.filter((e) => e.kind === "bridge-learn").map((e) => e.summary)).toEqual(["docker0 learns 02:42:ac:11:00:02 on port veth9c02e56"]);
  });
});

describe("neighbour entries", () => {
  it("a full table drops the packet that needed a new entry (neighbour table overflow), and ip neigh add is refused", () => {
    const { run } = session({ neighbours: 0 });
    const ping = run("ping -c 1 172.17.0.3", "nginx-1");
    expect(ping.exitCode).toBe(1);
    expect(ping.events.some((e) => e.kind === "arp-request")).toBe(false);
    expect(ping.events.filter((e) => e.kind === "drop" && e.reason === "neighbour-table-full")).toMatchObject([{ namespace: "nginx-1", device: "eth0" }]);
    expect(run("ip neigh add 172.17.0.9 lladdr 02:42:ac:11:00:09 dev eth0", "nginx-1")).toMatchObject({ exitCode: 2, output: reached(0, "neighbour (ARP) entries") });
  });

  it("an ARP request is answered without its sender being learnt; freeing an entry makes room", () => {
    const { run } = session({ neighbours: 1 });
    const ping = run("ping -c 1 172.17.0.3", "nginx-1");
    expect(ping.exitCode).toBe(1);
    expect(ping.events.some((e) => e.kind === "arp-reply" && e.namespace === "nginx-2")).toBe(true);
    expect(ping.events.filter((e) => e.kind === "drop" && e.reason === "neighbour-table-full")).toMatchObject([{ namespace: "nginx-2", device: "eth0" }]);
    expect(run("ip neigh show", "nginx-2").output).toBe("");
    expect(run("ip neigh flush all", "nginx-1").exitCode).toBe(0);
    expect(run("ip neigh add 172.17.0.2 lladdr 02:42:ac:11:00:02 dev eth0", "nginx-2").exitCode).toBe(0);
  });
});

describe("sockets", () => {
  it("curl and docker run are refused at the limit; stopping a container makes room", () => {
    const limit = base.sockets;
    const { run, state } = session({ sockets: limit });
    const before = state();
    expect(run("curl -s 172.17.0.2")).toMatchObject({ exitCode: 7, output: reached(limit, "sockets") });
    expect(run("docker run -d --name web nginx")).toMatchObject({ exitCode: 125, output: `docker: Error response from daemon: ${reached(limit, "sockets").trimEnd()}.\nSee 'docker run --help'.\n` });
    expect(state()).toEqual(before);
    expect(run("docker stop nginx-2").exitCode).toBe(0);
    expect(run("docker start nginx-2").exitCode).toBe(0);
  });

  it("a SYN finding no room for its connection is dropped unanswered, and the client times out", () => {
    const { run } = session({ sockets: base.sockets + 1 });
    const curl = run("curl -s --connect-timeout 2 172.17.0.2");
    expect(curl.exitCode).toBe(28);
    expect(curl.events.filter((e) => e.kind === "drop" && e.reason === "socket-limit").length).toBeGreaterThan(0);
    expect(curl.events.filter((e) => e.kind === "drop" && e.reason === "socket-limit").every((e) => e.namespace === "nginx-1")).toBe(true);
    expect(run("docker stop nginx-2").exitCode).toBe(0);
    expect(run("curl -s 172.17.0.2").exitCode).toBe(0);
  });

  it("a container started at the limit exits: its process cannot open its socket", () => {
    const { run } = session({ sockets: base.sockets });
    expect(run("docker stop nginx-2").exitCode).toBe(0);
    expect(run("docker run -d --name web --network host nginx").exitCode).toBe(0);
    const start = run("docker start nginx-2");
    expect(start.exitCode).toBe(1);
    expect(start.output).toContain(`exited: nginx: [emerg] socket() 0.0.0.0:80 failed (${reached(base.sockets, "sockets").trimEnd()})`);
  });
});
