/** The Linux bridge as a learning switch: ageing, loops, ports going down. */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { TopologySpec } from "../../../server/engine/topology/topology-schema.js";
import { engineFor, labEngine } from "../helpers/lab-engine.js";

describe("bridge", () => {
  it("learnt FDB entries age out 300 s after the last frame from that MAC, with an fdb-age-out event", () => {
    const engine = labEngine("bridge-two-containers");
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    const before = engine.state().hosts[0]!.namespaces.find((n) => n.name === "root")!.bridges[0]!.fdb.filter((e) => !e.local);
    expect(before.map((e) => e.mac).sort()).toEqual(["02:42:ac:11:00:02", "02:42:ac:11:00:03"]);
    // nginx-2's neighbour probe (DELAY → PROBE, 5 s after the ping) refreshes both entries, so 300 s is not yet enough.
    expect(engine.run({ host: "node1", command: "sleep 300" }).events.some((e) => e.kind === "fdb-age-out")).toBe(false);
    const r = engine.run({ host: "node1", command: "sleep 10" });
    const aged = r.events.filter((e) => e.kind === "fdb-age-out");
    expect(aged.map((e) => (e.kind === "fdb-age-out" ? e.mac : "")).sort()).toEqual(["02:42:ac:11:00:02", "02:42:ac:11:00:03"]);
    const after = engine.state().hosts[0]!.namespaces.find((n) => n.name === "root")!.bridges[0]!.fdb.filter((e) => !e.local);
    expect(after).toEqual([]);
  });

  it("a bridge loop ends in a storm-budget drop and a clear message instead of hanging", () => {
    const spec: TopologySpec = {
      hosts: [
        {
          name: "h",
          namespaces: ["a"],
          bridges: [{ name: "br0" }, { name: "br1" }],
          veths: [
            { name: "l0", master: "br0", peer: { name: "l1", master: "br1" } },
            { name: "m0", master: "br0", peer: { name: "m1", master: "br1" } },
            { name: "eth0", namespace: "a", addresses: ["10.0.0.2/24"], peer: { name: "pa", master: "br0" } },
          ],
        },
      ],
    };
    const engine = engineFor(spec, { eventBudget: 5000 });
    const r = engine.run({ host: "h", namespace: "a", command: "ping -c 1 -W 1 10.0.0.3" });
    expect(r.exitCode).toBe(1);
    expect(r.output).toContain("stopped after 5000 trace events");
    const last = r.events.at(-1)!;
    expect(last.kind).toBe("drop");
    expect(last.kind === "drop" && last.reason).toBe("storm-budget");
    // The engine is usable afterwards.
    expect(engine.run({ host: "h", namespace: "a", command: "ip link show dev eth0" }).exitCode).toBe(0);
  });

  it("a port that goes down loses its learnt entries and the bridge no longer floods to it", () => {
    const engine = labEngine("bridge-two-containers");
    engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" });
    engine.run({ host: "node1", command: "ip link set dev vethb4963f3 down" });
    const fdb = engine.state().hosts[0]!.namespaces.find((n) => n.name === "root")!.bridges[0]!.fdb;
    expect(fdb.some((e) => e.mac === "02:42:ac:11:00:03")).toBe(false);
    const r = engine.run({ host: "node1", namespace: "nginx-1", command: "ping -c 1 -W 1 172.17.0.3" });
    expect(r.exitCode).toBe(1);
    // nginx-2's MAC is no longer known, so the echo request is flooded: to every port up but the one it came in on, which leaves none.
    const floods = r.events.flatMap((e) => (e.kind === "bridge-flood" ? [{ ingress: e.ingress, egress: e.egress }] : []));
    expect(floods).toEqual([{ ingress: "veth9c02e56", egress: [] }]);
  });
});

describe("a bridge's MTU (test/fixtures/linux/bridge-mtu-follows-ports.txt)", () => {
  it("follows its ports' smallest MTU as they change (ip link or ifconfig), until set by hand", () => {
    const linux = readFileSync("test/fixtures/linux/bridge-mtu-follows-ports.txt", "utf8")
      .split("\n")
      .filter((l) => l.startsWith("2: br0"))
      .map((l) => /mtu (\d+)/.exec(l)![1]);
    expect(linux).toEqual(["1400", "1500", "1450"]);
    const engine = labEngine("bridge-two-containers");
    const onHost = (command: string) => engine.run({ host: "node1", command });
    const docker0Mtu = () => /mtu (\d+)/.exec(onHost("ip link show docker0").output)![1];
    expect(onHost("ip link set veth9c02e56 mtu 1400").exitCode).toBe(0);
    const seen = [docker0Mtu()];
    expect(onHost("ifconfig veth9c02e56 mtu 1500").exitCode).toBe(0);
    seen.push(docker0Mtu());
    onHost("ip link set docker0 mtu 1450");
    onHost("ip link set veth9c02e56 mtu 1400");
    seen.push(docker0Mtu());
    expect(seen).toEqual(linux);
  });
});
