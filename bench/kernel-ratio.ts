/**
 * bench/run.ts --kernel-ratio (npm run bench:kernel): the simulator's ping
 * round trip against the real kernel's, in the same run. Each round times a
 * flood ping between two namespaces on a bridge (kernel-ping.ts) twice: on a
 * bare bridge, and with the bridge's namespace set up as the simulated host
 * is (its iptables-save output restored, br_netfilter on: the work the
 * simulator models for every bridged packet, conntrack and Docker's chains);
 * then one
 * `ping -c 1000` in a long-lived two-container session, stepped as the
 * simulator's worker steps it and its events taken after each step, three
 * ways: events built (and let go); built and serialised to JSON a chunk at a
 * time (what a client reading them gets; the first stored layout); encoded
 * compactly a chunk at a time, as the worker encodes them, but not deflated
 * (what encoding costs apart from deflating); and recorded as the worker
 * records them, each chunk encoded compactly and deflated as it is cut, till
 * the stored trace is laid out (event-chunker.ts).
 * Prints, per round
 * trip, min / median / max over the rounds of each, and of simulator ÷ kernel
 * computed per round (the two measured seconds apart, so a busy moment of the
 * machine weighs on both).
 *
 * Without root or `ip netns` it says so and prints the simulator's figures alone.
 */
import { performance } from "node:perf_hooks";
import { CommandJob, encodeEventsCompact, serializeEvents, type CommandRequest, type Engine, type TraceEvent } from "../server/engine/index.js";
import { EventChunker } from "../server/simulator/event-chunker.js";
import { CHUNK_EVENTS } from "../server/simulator/stored-trace.js";
import { hostSetupAvailable, KernelPing, kernelPingAvailable, type HostNetfilter } from "./kernel-ping.js";

const ROUNDS = Number(process.env["BENCH_ROUNDS"] ?? 7);
const SIM_PINGS = 1000;
const KERNEL_PINGS = 20_000;

interface Round {
  kernel: number | null;
  /** The kernel with the simulated host's rules and br_netfilter. */
  kernelAsHost: number | null;
  built: number;
  json: number;
  /** Encoded compactly a chunk at a time, not deflated. */
  encoded: number;
  deflated: number;
  events: number;
  jsonBytes: number;
  deflatedBytes: number;
}

/** Steps the command to its end, handing each step's events to `take`; the number of events. */
function stepped(engine: Engine, command: CommandRequest, take: (events: TraceEvent[]) => void): number {
  const job = engine.start(command);
  if (!(job instanceof CommandJob)) throw new Error("the ping ended in one step");
  let count = 0;
  const hand = (events: TraceEvent[]) => {
    count += events.length;
    take(events);
  };
  while (!job.step()) hand(job.takeEvents());
  hand(job.result().events);
  return count;
}

/** What the simulated host's netfilter is: its rules as iptables-save prints them, and the sysctls that send bridged packets through them. */
function simulatedHost(engine: Engine, host: string): HostNetfilter {
  const run = (command: string) => {
    const result = engine.run({ host, command });
    if (result.exitCode !== 0) throw new Error(`${command} on the simulated ${host}: ${result.output}`);
    return result.output;
  };
  const sysctls = ["net.bridge.bridge-nf-call-iptables", "net.ipv4.ip_forward"].map((name) => `${name}=${run(`sysctl -n ${name}`).trim()}`);
  return { ruleset: run("iptables-save"), sysctls };
}

export async function kernelRatio(makeSession: () => Engine): Promise<void> {
  const available = kernelPingAvailable();
  if (!available.ok) console.log(`kernel ratio: the kernel's side is skipped: ${available.why}`);
  const engine = makeSession();
  const kernels: KernelPing[] = [];
  const cleanUp = () => {
    for (const k of kernels) k.close();
    process.exit(130);
  };
  process.on("SIGINT", cleanUp);
  try {
    const kernel = available.ok ? new KernelPing("bare") : null;
    if (kernel !== null) kernels.push(kernel);
    const hostSetup = available.ok ? hostSetupAvailable() : available;
    if (available.ok && !hostSetup.ok) console.log(`kernel ratio: the kernel set up as the simulated host is skipped: ${hostSetup.why}`);
    const kernelAsHost = hostSetup.ok ? new KernelPing("host", simulatedHost(engine, "node1")) : null;
    if (kernelAsHost !== null) kernels.push(kernelAsHost);
    const command = { host: "node1", namespace: "nginx-1", command: `ping -c ${SIM_PINGS} -i 0.2 172.17.0.3` };
    // Warm-up: ARP resolved, the code compiled by V8.
    engine.run(command);
    const rounds: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const kernelMicros = kernel?.roundTrip(KERNEL_PINGS) ?? null;
      const kernelAsHostMicros = kernelAsHost?.roundTrip(KERNEL_PINGS) ?? null;
      const perPing = (ms: number) => (ms * 1000) / SIM_PINGS;

      let t0 = performance.now();
      const events = stepped(engine, command, () => {});
      const built = performance.now() - t0;

      // Serialised a chunk at a time, as the worker cuts them.
      let jsonBytes = 0;
      let pending: TraceEvent[] = [];
      t0 = performance.now();
      stepped(engine, command, (taken) => {
        pending = pending.concat(taken);
        while (pending.length >= CHUNK_EVENTS) {
          jsonBytes += serializeEvents(pending.slice(0, CHUNK_EVENTS)).length;
          pending = pending.slice(CHUNK_EVENTS);
        }
      });
      if (pending.length > 0) jsonBytes += serializeEvents(pending).length;
      const json = performance.now() - t0;

      // Encoded as the worker encodes each chunk, without deflating it.
      pending = [];
      t0 = performance.now();
      stepped(engine, command, (taken) => {
        for (const event of taken) pending.push(event);
        while (pending.length >= CHUNK_EVENTS) {
          encodeEventsCompact(pending.slice(0, CHUNK_EVENTS));
          pending = pending.slice(CHUNK_EVENTS);
        }
      });
      if (pending.length > 0) encodeEventsCompact(pending);
      const encoded = performance.now() - t0;

      // Recorded as the worker records it, till the stored trace is laid out.
      t0 = performance.now();
      // As the worker records a command no one watches live.
      const chunker = new EventChunker({ live: false });
      stepped(engine, command, (taken) => {
        chunker.add(taken);
        while (chunker.cut(false));
      });
      while (chunker.cut(true));
      const stored = chunker.finish();
      const deflated = performance.now() - t0;

      rounds.push({
        kernel: kernelMicros,
        kernelAsHost: kernelAsHostMicros,
        built: perPing(built),
        json: perPing(json),
        encoded: perPing(encoded),
        deflated: perPing(deflated),
        events: events / SIM_PINGS,
        jsonBytes: jsonBytes / SIM_PINGS,
        deflatedBytes: stored.byteLength / SIM_PINGS,
      });
      const last = rounds.at(-1)!;
      console.log(
        `  round ${round + 1}: kernel ${last.kernel === null ? "—" : last.kernel.toFixed(1)} µs (bare) ${last.kernelAsHost === null ? "—" : last.kernelAsHost.toFixed(1)} µs (as the host), simulator ${last.built.toFixed(1)} / ${last.json.toFixed(1)} / ${last.encoded.toFixed(1)} / ${last.deflated.toFixed(1)} µs (built / + JSON / + encoded / stored)`,
      );
    }
    report(rounds);
  } finally {
    for (const k of kernels) k.close();
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
  const asHost = rounds.map((r) => r.kernelAsHost).filter((k): k is number => k !== null);
  if (kernel.length > 0) console.log(`${"kernel, two namespaces on a bridge".padEnd(44)} ${spread(kernel)} µs`);
  if (asHost.length > 0) console.log(`${"kernel, the bridge's namespace as the host".padEnd(44)} ${spread(asHost)} µs   (Docker's rules, br_netfilter, conntrack)`);
  const rows: Array<[string, (r: Round) => number]> = [
    ["simulator, events built", (r) => r.built],
    ["simulator, + serialised to JSON", (r) => r.json],
    ["simulator, + encoded, not deflated", (r) => r.encoded],
    ["simulator, recorded as the worker stores it", (r) => r.deflated],
  ];
  for (const [name, time] of rows) {
    const ratio = kernel.length > 0 ? `   ÷ kernel ${spread(rounds.map((r) => time(r) / r.kernel!))} ×` : "";
    const ratioAsHost = asHost.length > 0 ? `   ÷ kernel as the host ${spread(rounds.map((r) => time(r) / r.kernelAsHost!))} ×` : "";
    console.log(`${name.padEnd(44)} ${spread(rounds.map(time))} µs${ratio}${ratioAsHost}`);
  }
  console.log(`${"stored trace per round trip".padEnd(44)} ${Math.round(e.jsonBytes).toLocaleString("en-US")} B JSON, ${Math.round(e.deflatedBytes).toLocaleString("en-US")} B deflated`);
}
