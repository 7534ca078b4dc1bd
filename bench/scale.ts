/**
 * How the simulator grows with the network (npm run bench:scale): for 2, 10,
 * 100 and 1,000 containers on one Docker bridge (started one by one with
 * `docker run`, as a student would) and for 2, 10 and 50 nodes on flannel's
 * VXLAN backend (two pods a node, built from a topology as a lab is), it
 * prints
 * - build: the time to make the network (the `docker run`s, or the topology);
 * - first ping: `ping -c 1` between the two pods farthest apart in a fresh
 *   network (ARP resolved, the bridge flooding to every port, FDBs learnt),
 *   with its event count;
 * - steady ping: the same `ping -c 1` again, once ARP and the FDBs know the way;
 * - heap per session: what one idle session of that size holds, after a
 *   full garbage collection, averaged over enough sessions kept at once to
 *   hold about 400 containers (run with --expose-gc, as the npm script does).
 *
 * BENCH_ROUNDS (default 5) builds of each size give min / median / max.
 * Engine objects are counted without the session limits (a thousand
 * containers need more devices than a classroom session is allowed).
 */
import { performance } from "node:perf_hooks";
import { DEFAULT_LIMITS, Engine, type TopologySpec } from "../server/engine/index.js";
import { overlayCluster } from "../test/engine/helpers/overlay-cluster.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 5);
const STEADY_PINGS = 20;
const UNLIMITED = Object.fromEntries(Object.keys(DEFAULT_LIMITS).map((k) => [k, Number.MAX_SAFE_INTEGER])) as unknown as typeof DEFAULT_LIMITS;
const gc = (globalThis as { gc?: () => void }).gc;

interface Scenario {
  name: string;
  /** Builds the network; the time it takes is the build figure. */
  build: () => Engine;
  /** Containers or pods in it. */
  pods: number;
  /** The ping between the two ends farthest apart. */
  ping: { host: string; namespace: string; command: string };
}

function create(spec: TopologySpec): Engine {
  const engine = Engine.create(spec, { seed: 1, eventBudget: 100_000_000, limits: UNLIMITED });
  if (!(engine instanceof Engine)) throw new Error(`bad topology: ${JSON.stringify(engine)}`);
  return engine;
}

function bridge(containers: number): Scenario {
  const last = containers + 1;
  return {
    name: `${containers.toLocaleString("en-US")} containers on one bridge`,
    pods: containers,
    build: () => {
      const engine = create({ hosts: [{ name: "node1", forwarding: true, bridges: [{ name: "docker0", addresses: ["172.17.0.1/16"] }] }] });
      for (let i = 0; i < containers; i++) {
        const result = engine.run({ host: "node1", command: `docker run -d --name c${i} nginx` });
        if (result.exitCode !== 0) throw new Error(result.output);
      }
      return engine;
    },
    // docker run hands out 172.17.0.2 upward: c0 pings the last container.
    ping: { host: "node1", namespace: "c0", command: `ping -c 1 172.17.${last >> 8}.${last & 255}` },
  };
}

function vxlan(nodes: number): Scenario {
  const spec = overlayCluster("flannel-vxlan", nodes, 2);
  return {
    name: `${nodes} nodes on flannel VXLAN`,
    pods: nodes * 2,
    build: () => create(spec),
    ping: { host: "node1", namespace: "c1", command: `ping -c 1 10.244.${nodes}.2` },
  };
}

interface Figures {
  build: number[];
  first: number[];
  firstEvents: number;
  steady: number[];
  heapKb: number | null;
}

function measure(scenario: Scenario): Figures {
  const figures: Figures = { build: [], first: [], firstEvents: 0, steady: [], heapKb: null };
  for (let round = 0; round < ROUNDS; round++) {
    gc?.();
    const t0 = performance.now();
    const engine = scenario.build();
    const t1 = performance.now();
    const first = engine.run(scenario.ping);
    const t2 = performance.now();
    if (!first.output.includes(" 0% packet loss")) throw new Error(`${scenario.name}: the first ping failed:\n${first.output}`);
    figures.build.push(t1 - t0);
    figures.first.push(t2 - t1);
    figures.firstEvents = first.events.length;
    const times: number[] = [];
    for (let i = 0; i < STEADY_PINGS; i++) {
      const t = performance.now();
      engine.run(scenario.ping);
      times.push(performance.now() - t);
    }
    figures.steady.push(median(times));
  }
  if (gc !== undefined) {
    // Several sessions kept at once, so a small one's heap is not lost in the collector's noise.
    const sessions = Math.max(1, Math.round(400 / scenario.pods));
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept = Array.from({ length: sessions }, () => scenario.build());
    gc();
    figures.heapKb = (process.memoryUsage().heapUsed - before) / 1024 / kept.length;
  }
  return figures;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const f = (x: number) => (x >= 100 ? Math.round(x).toLocaleString("en-US") : x.toFixed(x >= 10 ? 1 : 2));
  return `${f(sorted[0]!)} / ${f(median(sorted))} / ${f(sorted.at(-1)!)}`;
}

const scenarios = [bridge(2), bridge(10), bridge(100), bridge(1000), vxlan(2), vxlan(10), vxlan(50)];
console.log(`min / median / max over ${ROUNDS} builds of each; ms unless said${gc === undefined ? " (no heap figures: run with node --expose-gc)" : ""}`);
console.log(`${"".padEnd(32)} ${"build".padEnd(24)} ${"first ping (events)".padEnd(30)} ${"steady ping".padEnd(22)} heap per session`);
const results = new Map<string, Figures>();
for (const scenario of scenarios) {
  const f = measure(scenario);
  results.set(scenario.name, f);
  console.log(
    `${scenario.name.padEnd(32)} ${spread(f.build).padEnd(24)} ${`${spread(f.first)} (${f.firstEvents.toLocaleString("en-US")})`.padEnd(30)} ${spread(f.steady).padEnd(22)} ${f.heapKb === null ? "—" : `${Math.round(f.heapKb).toLocaleString("en-US")} KB`}`,
  );
}
const hundred = results.get(bridge(100).name)!;
const thousand = results.get(bridge(1000).name)!;
console.log(`\nbuilding 1,000 containers ÷ building 100 (medians): ${(median(thousand.build) / median(hundred.build)).toFixed(1)}× (linear would be 10×)`);
