/**
 * bench/run.ts --kernel-ratio (npm run bench:kernel): the simulator's ping
 * round trip against the real kernel's, in the same run. Each round times a
 * flood ping between two namespaces on a bridge (kernel-ping.ts), then one
 * `ping -c 1000` in a long-lived two-container session, three ways: events
 * built; built and serialised to JSON as the worker stores them; and
 * serialised and deflated (what the command log keeps). Prints, per round
 * trip, min / median / max over the rounds of each, and of simulator ÷ kernel
 * computed per round (the two measured seconds apart, so a busy moment of the
 * machine weighs on both).
 *
 * Without root or `ip netns` it says so and prints the simulator's figures alone.
 */
import { deflateRawSync } from "node:zlib";
import { performance } from "node:perf_hooks";
import { serializeEvents, type Engine } from "../server/engine/index.js";
import { DEFLATE_OPTIONS } from "../server/simulator/stored-trace.js";
import { KernelPing, kernelPingAvailable } from "./kernel-ping.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 7);
const SIM_PINGS = 1000;
const KERNEL_PINGS = 20_000;

interface Round {
  kernel: number | null;
  built: number;
  json: number;
  deflated: number;
  events: number;
  jsonBytes: number;
  deflatedBytes: number;
}

export function kernelRatio(makeSession: () => Engine): void {
  const available = kernelPingAvailable();
  if (!available.ok) console.log(`kernel ratio: the kernel's side is skipped: ${available.why}`);
  const kernel = available.ok ? new KernelPing() : null;
  const cleanUp = () => {
    kernel?.close();
    process.exit(130);
  };
  process.on("SIGINT", cleanUp);
  try {
    const engine = makeSession();
    const command = { host: "node1", namespace: "nginx-1", command: `ping -c ${SIM_PINGS} -i 0.2 172.17.0.3` };
    // Warm-up: ARP resolved, the code compiled by V8.
    engine.run(command);
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const kernelMicros = kernel?.roundTrip(KERNEL_PINGS) ?? null;
      const t0 = performance.now();
      const result = engine.run(command);
      const t1 = performance.now();
      const json = serializeEvents(result.events);
      const t2 = performance.now();
      const deflated = deflateRawSync(json, DEFLATE_OPTIONS);
      const t3 = performance.now();
      const perPing = (ms: number) => (ms * 1000) / SIM_PINGS;
      rounds.push({
        kernel: kernelMicros,
        built: perPing(t1 - t0),
        json: perPing(t2 - t0),
        deflated: perPing(t3 - t0),
        events: result.events.length / SIM_PINGS,
        jsonBytes: Buffer.byteLength(json) / SIM_PINGS,
        deflatedBytes: deflated.byteLength / SIM_PINGS,
      });
      const last = rounds.at(-1)!;
      console.log(
        `  round ${round + 1}: kernel ${last.kernel === null ? "—" : last.kernel.toFixed(1)} µs, simulator ${last.built.toFixed(1)} / ${last.json.toFixed(1)} / ${last.deflated.toFixed(1)} µs (built / + JSON / + deflated)`,
      );
    }
    report(rounds);
  } finally {
    kernel?.close();
    process.off("SIGINT", cleanUp);
  }
}

function spread(values: number[]): string {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted.length % 2 === 1 ? sorted[sorted.length >> 1]! : (sorted[sorted.length / 2 - 1]! + sorted[sorted.length / 2]!) / 2;
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
  return `${f(sorted[0]!)} / ${f(median)} / ${f(sorted.at(-1)!)}`;
}

function report(rounds: Round[]): void {
  const e = rounds[0]!;
  console.log(`\nper ping round trip, min / median / max over ${rounds.length} rounds (simulator: ping -c ${SIM_PINGS}, ${e.events} events each; kernel: ping -f -c ${KERNEL_PINGS})`);
  const kernel = rounds.map((r) => r.kernel).filter((k): k is number => k !== null);
  if (kernel.length > 0) console.log(`${"kernel, two namespaces on a bridge".padEnd(44)} ${spread(kernel)} µs`);
  const rows: Array<[string, (r: Round) => number]> = [
    ["simulator, events built", (r) => r.built],
    ["simulator, + serialised to JSON", (r) => r.json],
    ["simulator, + JSON deflated (as stored)", (r) => r.deflated],
  ];
  for (const [name, time] of rows) {
    const ratio = kernel.length > 0 ? `   ÷ kernel ${spread(rounds.map((r) => time(r) / r.kernel!))} ×` : "";
    console.log(`${name.padEnd(44)} ${spread(rounds.map(time))} µs${ratio}`);
  }
  console.log(`${"stored trace per round trip".padEnd(44)} ${Math.round(e.jsonBytes).toLocaleString("en-US")} B JSON, ${Math.round(e.deflatedBytes).toLocaleString("en-US")} B deflated`);
}
