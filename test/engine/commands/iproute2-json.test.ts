// ip -j / -p and bridge -j: iproute2's JSON, key for key, from the same listings the text output prints.
import { describe, expect, it } from "vitest";
import { writeJson, type JsonValue } from "../../../server/engine/commands/iproute2-json.js";
import { chapterTopology } from "../helpers/chapter-topology.js";
import { engineFor } from "../helpers/lab-engine.js";
import { linuxFixture } from "../helpers/linux-fixtures.js";

type Obj = Record<string, JsonValue>;
const real = (name: string) => JSON.parse(linuxFixture(name).text) as Obj[];
const keys = (o: Obj) => Object.keys(o);

function afterPing() {
  const engine = engineFor(chapterTopology());
  engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
  return engine;
}
const json = (engine: ReturnType<typeof afterPing>, command: string, namespace?: string) => {
  const r = engine.run({ host: "node1", namespace, command });
  expect(r.exitCode).toBe(0);
  return JSON.parse(r.output) as Obj[];
};

describe("the JSON writer (lib/json_writer.c)", () => {
  it.each([
    ["host-ip-j-link", "host-ip-j-p-link"],
    ["host-ip-j-route", "host-ip-j-p-route"],
    ["host-ip-j-neigh", "host-ip-j-p-neigh"],
    ["host-bridge-j-fdb-show", "host-bridge-j-p-fdb-show"],
    ["host-bridge-j-link", "host-bridge-j-p-link"],
    ["ip-j-addr-show-dev-veth", "ip-j-p-addr-show-dev-veth"],
  ])("writes %s compact and %s pretty byte for byte", (compact, pretty) => {
    const value = JSON.parse(linuxFixture(compact).text) as JsonValue;
    expect(writeJson(value, false) + "\n").toBe(linuxFixture(compact).text);
    expect(writeJson(value, true) + "\n").toBe(linuxFixture(pretty).text);
  });
  it("writes an empty list as iproute2 does", () => {
    expect(writeJson([], false)).toBe("[]");
    expect(writeJson([], true)).toBe("[ ]");
  });
});

describe("ip -j", () => {
  it("link: lo and docker0 exactly as Linux, a bridge port with the same keys in the same order", () => {
    const sim = json(afterPing(), "ip -j link");
    const linux = real("host-ip-j-link");
    expect(sim[0]).toEqual(linux[0]);
    expect(sim[1]).toEqual(linux[1]);
    expect(keys(sim[2]!)).toEqual(keys(linux[2]!));
    expect(sim[2]).toMatchObject({ ifindex: 3, link_index: 2, ifname: "veth9c02e56", master: "docker0", link_netnsid: 0 });
  });
  it("link between two ends in one namespace names the peer", () => {
    const engine = afterPing();
    engine.run({ host: "node1", command: "ip link add va type veth peer name vb" });
    const sim = json(engine, "ip -j link show va");
    expect(keys(sim[0]!)).toEqual(keys(real("ip-j-link-show-veth")[0]!));
    expect(sim[0]).toMatchObject({ link: "vb", ifname: "va" });
  });
  it("address: the link's keys without linkmode, then addr_info with inet and inet6 entries as Linux orders them", () => {
    const sim = json(afterPing(), "ip -j addr show dev eth0", "nginx-1");
    const linux = real("ip-j-addr-show-dev-veth")[0]!;
    // The recording's veth had its peer in the same namespace ("link"); nginx-1's is in another (link_index, link_netnsid).
    const own = (o: Obj) => keys(o).filter((k) => !["link", "link_index", "link_netnsid"].includes(k));
    expect(own(sim[0]!)).toEqual(own(linux));
    expect(sim[0]).toMatchObject({ link_index: 3, link_netnsid: 0 });
    const [inet, inet6] = sim[0]!.addr_info as Obj[];
    const [realInet, realInet6] = linux.addr_info as Obj[];
    expect(inet).toEqual({ ...realInet, label: "eth0" });
    expect(keys(inet6!)).toEqual(keys(realInet6!));
  });
  it("route: connected, gateway and metric routes, linkdown in flags", () => {
    const engine = afterPing();
    engine.run({ host: "node1", namespace: "nginx-1", command: "ip route add 10.0.0.0/8 via 172.17.0.1 metric 5" });
    const sim = json(engine, "ip -j route", "nginx-1");
    expect(sim).toEqual([
      { dst: "default", gateway: "172.17.0.1", dev: "eth0", flags: [] },
      { dst: "10.0.0.0/8", gateway: "172.17.0.1", dev: "eth0", metric: 5, flags: [] },
      { dst: "172.17.0.0/16", dev: "eth0", protocol: "kernel", scope: "link", prefsrc: "172.17.0.2", flags: [] },
    ]);
    expect(keys(sim[1]!)).toEqual(keys(real("ip-j-route-linkdown")[0]!));
    expect(json(engine, "ip -j route")).toEqual(real("host-ip-j-route").filter((r) => r.dev === "docker0"));
  });
  it("neigh: dst, dev, lladdr, state list; no lladdr for FAILED", () => {
    const engine = afterPing();
    engine.run({ host: "node1", namespace: "nginx-1", command: "ip neigh add 172.17.0.8 dev eth0 nud failed" });
    const sim = json(engine, "ip -j neigh", "nginx-1");
    expect(sim).toContainEqual({ dst: "172.17.0.3", dev: "eth0", lladdr: "02:42:ac:11:00:03", state: ["REACHABLE"] });
    for (const linux of real("ip-j-neigh-states")) {
      const mine = sim.find((n) => (n.state as string[])[0] === (linux.state as string[])[0]);
      if (mine !== undefined) expect(keys(mine)).toEqual(keys(linux));
    }
  });
  it("-p pretty-prints; -p alone changes nothing; errors stay text", () => {
    const engine = afterPing();
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ip -j -p route" });
    expect(r.output).toMatch(/^\[ \{\n {8}"dst": "default",\n/);
    expect(engine.run({ host: "node1", command: "ip -p route" }).output).toBe(engine.run({ host: "node1", command: "ip route" }).output);
    expect(engine.run({ host: "node1", command: "ip -j neigh show dev nosuch" })).toMatchObject({ exitCode: 1, output: 'Cannot find device "nosuch"\n' });
    // -d is read back for kinds without data of their own (ip-link-dummy.test.ts); a bridge's is not.
    expect(engine.run({ host: "node1", command: "ip -j -d link" }).output).toBe("ip -json -details (bridge): not simulated in cnlab\n");
    expect(engine.run({ host: "node1", command: "ip -j -d addr" }).output).toBe("ip -json -details: not simulated in cnlab\n");
  });
});

describe("bridge -j", () => {
  it("fdb show: Linux's keys, flags before master, an empty state for learnt entries", () => {
    const sim = json(afterPing(), "bridge -j fdb show");
    const linux = real("host-bridge-j-fdb-show");
    const learnt = sim.find((e) => e.mac === "02:42:ac:11:00:02")!;
    expect(learnt).toEqual({ mac: "02:42:ac:11:00:02", ifname: "veth9c02e56", flags: [], master: "docker0", state: "" });
    expect(keys(learnt)).toEqual(keys(linux.find((e) => e.mac === "02:42:ac:11:00:02")!));
    const self = sim.find((e) => (e.flags as string[]).includes("self"));
    if (self !== undefined) expect(keys(self)).toEqual(keys(linux[0]!));
  });
  it("link: the ports with Linux's keys and values", () => {
    const sim = json(afterPing(), "bridge -j link");
    const linux = real("host-bridge-j-link");
    expect(sim.map(keys)).toEqual(linux.map(keys));
    expect(sim[0]).toEqual({ ...linux[0], ifname: "veth9c02e56" });
  });
});
