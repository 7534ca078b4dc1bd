/**
 * Property tests: random command lines and random small topologies never make
 * the engine throw, and leave it consistent (events dense and ordered, the FDB
 * naming only existing ports, every veth paired).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Engine } from "../../server/engine/engine.js";
import type { TopologySpec } from "../../server/engine/topology/topology-schema.js";
import { labEngine } from "./helpers/lab-engine.js";

const words = ["ip", "addr", "link", "route", "neigh", "show", "add", "del", "set", "dev", "eth0", "docker0", "up", "down", "lo", "veth9c02e56", "bridge", "fdb", "brctl", "showmacs", "ifconfig", "arp", "-n", "ping", "-c", "1", "2", "-W", "-t", "curl", "http://172.17.0.3/", "ss", "-ltn", "docker", "run", "ps", "rm", "-f", "-d", "nginx", "busybox", "--net=host", "exec", "nginx-1", "172.17.0.3", "172.17.0.9/16", "default", "via", "172.17.0.1", "10.0.0.0/8", "mtu", "1400", "sleep", "30", "'", "\"", "|", "x"];

function checkConsistent(engine: Engine): void {
  const state = engine.state();
  for (const h of state.hosts) {
    for (const ns of h.namespaces) {
      const names = new Set(ns.interfaces.map((i) => i.name));
      for (const b of ns.bridges) for (const e of b.fdb) expect(names.has(e.port)).toBe(true);
      for (const i of ns.interfaces) if (i.kind === "veth") expect(i.peer).not.toBeNull();
    }
  }
}

describe("engine properties", () => {
  it("random command lines never throw and keep the trace dense", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("root", "nginx-1", "nginx-2"), fc.array(fc.constantFrom(...words), { minLength: 1, maxLength: 7 })), { minLength: 1, maxLength: 12 }), (cmds) => {
        const engine = labEngine("bridge-two-containers");
        let next = engine.nextSeq;
        for (const [ns, argv] of cmds) {
          const namespace = engine.namespaceNames("node1").includes(ns) ? ns : "root";
          const r = engine.run({ host: "node1", namespace, command: argv.join(" ") });
          expect(typeof r.output).toBe("string");
          expect(Number.isInteger(r.exitCode)).toBe(true);
          for (const e of r.events) expect(e.seq).toBe(next++);
        }
        checkConsistent(engine);
      }),
      { numRuns: 60 },
    );
  });

  it("random small topologies either fail validation with issues or build and answer ping", () => {
    const arbTopology = fc.record({
      containers: fc.integer({ min: 0, max: 4 }),
      prefix: fc.integer({ min: 16, max: 28 }),
      dupAddress: fc.boolean(),
      badMaster: fc.boolean(),
    });
    fc.assert(
      fc.property(arbTopology, ({ containers, prefix, dupAddress, badMaster }) => {
        const names = Array.from({ length: containers }, (_, i) => `c${i}`);
        const spec: TopologySpec = {
          hosts: [
            {
              name: "h",
              forwarding: true,
              bridges: [{ name: "br0", addresses: [`10.1.0.1/${prefix}`] }],
              containers: names.map((n) => ({ name: n, image: "busybox", network: "bridge" as const })),
              veths: names.map((n, i) => ({
                name: `v${i}`,
                master: badMaster && i === 0 ? "nosuch" : "br0",
                peer: { name: "eth0", namespace: n, addresses: [`10.1.0.${dupAddress && i === 1 ? 2 : i + 2}/${prefix}`] },
              })),
            },
          ],
        };
        const e = Engine.create(spec);
        const shouldFail = (badMaster && containers > 0) || (dupAddress && containers > 1);
        if (!(e instanceof Engine)) {
          expect(shouldFail).toBe(true);
          expect(e.issues.length).toBeGreaterThan(0);
          return;
        }
        expect(shouldFail).toBe(false);
        if (containers > 0) expect(e.run({ host: "h", namespace: "c0", command: "ping -c 1 10.1.0.1" }).exitCode).toBe(0);
        checkConsistent(e);
      }),
      { numRuns: 40 },
    );
  });
});
