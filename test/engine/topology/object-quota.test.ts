/**
 * The session's object counts: what a lab builds is counted, every lab and a
 * four-host, thousand-container topology fit the default limits with room to
 * spare, and the counts kept as objects come and go always equal what a scan
 * of the network finds, however many times things are added and deleted.
 */
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { Bridge } from "../../../server/engine/link/bridge.js";
import { Vxlan } from "../../../server/engine/link/vxlan.js";
import { DEFAULT_LIMITS } from "../../../server/engine/limits.js";
import { limitMessage, ObjectQuota, QUOTA_OBJECTS, type ObjectCounts } from "../../../server/engine/object-quota.js";
import { buildNetwork } from "../../../server/engine/topology/build-network.js";
import type { Network } from "../../../server/engine/topology/network.js";
import type { HostSpec, TopologySpec } from "../../../server/engine/topology/topology-schema.js";
import { validateTopology } from "../../../server/engine/topology/validate-topology.js";
import { loadLab } from "../helpers/lab-engine.js";
import { ToolSession } from "../helpers/tool-session.js";

/** Every object of the network, counted the slow way. */
function scan(net: Network): ObjectCounts {
  const c: ObjectCounts = { devices: 0, addresses: 0, routes: 0, rules: 0, fdbEntries: 0, neighbours: 0, sockets: 0 };
  for (const host of net.hosts.values()) {
    for (const ns of host.namespaces.values()) {
      c.devices += ns.devices.size;
      for (const dev of ns.devices.values()) {
        c.addresses += dev.addresses.length;
        if (dev instanceof Bridge) c.fdbEntries += dev.fdb.list().filter((e) => !e.local).length;
        if (dev instanceof Vxlan) c.fdbEntries += dev.fdb.size;
      }
      c.routes += ns.routes.routes.length;
      c.neighbours += ns.neigh.list().length;
      const s = ns.sockets;
      c.sockets += s.tcpListeners.length + s.tcpConnections.length + s.udp.length + s.ping.size;
      for (const table of Object.values(ns.netfilter.tables)) for (const chain of table.values()) c.rules += chain.rules.length + (chain.builtin ? 0 : 1);
      // An ip set and each of its entries count as rules too (they are netfilter state a policy controller makes in bulk).
      for (const set of ns.netfilter.ipsets.list()) c.rules += 1 + (set.type === "hash:ip" ? set.members.size : set.nets.length);
    }
  }
  return c;
}

function build(spec: TopologySpec): Network {
  expect(validateTopology(spec)).toEqual([]);
  return buildNetwork(spec, { seed: 1, startTime: 0, eventBudget: 10_000_000 });
}

/** A Docker host with `n` nginx containers, each publishing a port, as a lab file declares them. */
function dockerHost(index: number, n: number): HostSpec {
  const host: HostSpec = {
    name: `node${index}`,
    forwarding: true,
    nics: [{ name: "eth0", segment: "underlay", addresses: [`10.168.0.${index + 2}/24`] }],
    bridges: [{ name: "docker0", addresses: ["172.17.0.1/16"] }],
    docker: { bridge: "docker0" },
    containers: [],
    veths: [],
    routes: [],
  };
  for (let i = 0; i < n; i++) {
    const a = 2 + i;
    host.containers!.push({ name: `web-${i}`, image: "nginx", network: "bridge", publish: [`${8000 + i}:80`] });
    host.veths!.push({ name: `veth${i}`, master: "docker0", peer: { name: "eth0", namespace: `web-${i}`, addresses: [`172.17.${a >> 8}.${a & 255}/16`] } });
    host.routes!.push({ namespace: `web-${i}`, to: "default", via: "172.17.0.1", dev: "eth0" });
  }
  return host;
}

describe("the object quota", () => {
  it("takes what fits, refuses the rest whole, and names the limit", () => {
    const q = new ObjectQuota({ ...DEFAULT_LIMITS, devices: 3 });
    expect(q.take("devices", 2)).toBeNull();
    expect(q.check({ devices: 2, routes: 1 })).toEqual({ kind: "limit-reached", object: "devices", limit: 3, count: 2, needed: 2 });
    expect(limitMessage(q.check({ devices: 2 })!)).toBe("cnlab: this would take this session past its limit of 3 network devices (1 left, 2 needed); delete some first");
    expect(q.take("devices")).toBeNull();
    expect(limitMessage(q.take("devices")!)).toBe("cnlab: this session has reached its limit of 3 network devices; delete some first");
    expect(q.count("devices")).toBe(3);
    q.release("devices", 3);
    expect(q.counts().devices).toBe(0);
  });

  it("counts without refusing while a lab is built, and says which limit a lab passes", () => {
    const q = new ObjectQuota({ ...DEFAULT_LIMITS, sockets: 1 });
    q.enforcing = false;
    expect(q.take("sockets", 5)).toBeNull();
    q.enforcing = true;
    expect(q.firstOver()).toMatchObject({ object: "sockets", limit: 1, count: 5 });
    expect(q.take("sockets")).toMatchObject({ object: "sockets" });
  });
});

describe("labs and the default limits", () => {
  const labs = readdirSync("labs").map((f) => f.replace(/\.yaml$/, ""));

  // A cluster's lab holds kube-proxy's rules and, with a policy controller, kube-router's chains and ip sets: 200 rules for network-policy.
  it.each(labs)("lab %s is counted exactly and needs under 50 of each object (a Kubernetes cluster's lab: under 300)", (id) => {
    const net = build(loadLab(id).topology as TopologySpec);
    expect(net.quota.counts()).toEqual(scan(net));
    for (const o of QUOTA_OBJECTS) expect(net.quota.count(o)).toBeLessThan(net.kube !== null ? 300 : 50);
    expect(net.quota.firstOver()).toBeNull();
  });

  it("four hosts of 256 published containers fit the defaults with room for a thousand more of each", () => {
    const net = build({ segments: [{ name: "underlay" }], hosts: [0, 1, 2, 3].map((h) => dockerHost(h, 256)) });
    const counts = net.quota.counts();
    expect(counts).toEqual(scan(net));
    expect(counts).toMatchObject({ devices: 3084, addresses: 2060, routes: 7204, rules: 3152, sockets: 1024 });
    for (const o of QUOTA_OBJECTS) expect(DEFAULT_LIMITS[o] - counts[o]).toBeGreaterThanOrEqual(1000);
  });
});

describe("counts follow the network", () => {
  it("stay equal to a scan through adds, deletes, traffic and deleted namespaces", () => {
    const t = new ToolSession();
    const same = () => expect(t.net.quota.counts()).toEqual(scan(t.net));
    same();
    const steps: [string, string?][] = [
      ["ip link add v0 type veth peer name v1"],
      ["ip link add br1 type bridge"],
      ["ip addr add 10.9.0.1/24 dev v0"],
      ["ip link set v0 up"],
      ["ip link set v1 up"],
      ["ip link set v1 master br1"],
      ["ip link set br1 up"],
      ["ip route add 10.50.0.0/16 via 10.9.0.2"],
      ["ip neigh add 10.9.0.7 lladdr 02:00:00:00:00:07 dev v0"],
      ["arp -s 10.9.0.8 02:00:00:00:00:08"],
      ["iptables -N CHECKS"],
      ["iptables -A CHECKS -j RETURN"],
      ["iptables -t nat -A POSTROUTING -s 10.9.0.0/24 -j MASQUERADE"],
      ["ping -c 2 172.17.0.3", "nginx-1"],
      ["curl -s 172.17.0.2"],
      ["docker run -d --name web -p 8080:80 nginx"],
      ["ip netns add lab"],
      ["ip link add n0 type veth peer name n1"],
      ["ip addr add 10.7.0.1/24 dev n0"],
      ["ip link set n1 netns lab"],
      ["ip link set v0 down"],
      ["ip link set v0 up"],
      ["ip link del br1"],
      ["ip netns del lab"],
      ["docker rm -f web"],
      ["docker rm -f nginx-2"],
      ["iptables -F CHECKS"],
      ["iptables -t nat -D POSTROUTING 1"],
      ["ip link del v0"],
    ];
    for (const [line, ns] of steps) {
      t.run(line, ns);
      same();
    }
    t.advance(400_000_000);
    same();
  });

  it("do not drift over a thousand adds and deletes", () => {
    const t = new ToolSession();
    const before = t.net.quota.counts();
    for (let i = 0; i < 1000; i++) {
      t.run("ip link add v0 type veth peer name v1");
      t.run("ip addr add 10.9.0.1/24 dev v0");
      t.run("ip link set v0 up");
      t.run("ip route add 10.50.0.0/16 dev v0");
      t.run("ip neigh add 10.9.0.7 lladdr 02:00:00:00:00:07 dev v0");
      t.run("iptables -A FORWARD -i v0 -j ACCEPT");
      t.run("iptables -D FORWARD -i v0 -j ACCEPT");
      t.run("ip link del v0");
    }
    expect(t.net.quota.counts()).toEqual(before);
    expect(scan(t.net)).toEqual(before);
  });

  it("do not drift over containers run and removed", () => {
    const t = new ToolSession();
    const before = t.net.quota.counts();
    for (let i = 0; i < 200; i++) {
      expect(t.run(`docker run -d --name web -p 8080:80 nginx`).exitCode).toBe(0);
      t.run("curl -s 172.17.0.4");
      expect(t.run("docker rm -f web").exitCode).toBe(0);
      t.run("ip netns add lab");
      t.run("ip netns del lab");
    }
    // What the host keeps of the traffic: curl's sockets in TIME-WAIT, the neighbour entry it learnt.
    t.advance(61_000_000);
    t.run("ip neigh flush all");
    expect(t.net.quota.counts()).toEqual(before);
    expect(scan(t.net)).toEqual(before);
  });
});
