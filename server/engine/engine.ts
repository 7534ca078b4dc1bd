/**
 * The engine's public face: build a network from a topology, run commands in
 * it, get their output and the trace events they caused, look at its state.
 * Everything is deterministic: the same topology, seed, command lines and
 * command times give byte-identical outputs and traces. Nothing here reads a
 * clock, draws a random number of its own or does I/O.
 */
import { runCommandLine } from "./commands/run-command.js";
import type { FrameCapture } from "./link/device.js";
import { buildNetwork } from "./topology/build-network.js";
import type { Network, SimHost } from "./topology/network.js";
import { ROOT_NAMESPACE, type TopologySpec } from "./topology/topology-schema.js";
import { validateTopology, type TopologyIssue } from "./topology/validate-topology.js";
import type { TraceEvent } from "./trace/trace-event.js";
import { BudgetExceeded, DEFAULT_EVENT_BUDGET } from "./trace/trace-recorder.js";
import { snapshotNetwork, type NetworkState } from "./state/snapshot.js";

export interface EngineOptions {
  seed?: number;
  /** Virtual start time, µs. */
  startTime?: number;
  /** Trace events one command may cause before it is stopped as a storm. */
  eventBudget?: number;
  /** Called for every frame sent or received on any device (pcap export replays a session with this). */
  capture?: FrameCapture;
}

export interface CommandRequest {
  host: string;
  namespace?: string;
  command: string;
  /** Virtual time (µs) at which the command is typed; the clock first runs up to it. Never backwards. */
  at?: number;
}

export interface CommandResult {
  output: string;
  exitCode: number;
  events: TraceEvent[];
  /** Virtual time when the command finished, µs. */
  time: number;
}

export type EngineError = { kind: "invalid-topology"; issues: TopologyIssue[] };

/** How long after a command the network settles (frames in flight, handshakes ending), µs. */
const SETTLE = 10_000;
/** How far ahead a storm's pending frames are discarded, µs. */
const STORM_HORIZON = 1_000_000;

export class Engine {
  private constructor(private readonly net: Network) {}

  static create(spec: TopologySpec, options: EngineOptions = {}): Engine | EngineError {
    const issues = validateTopology(spec);
    if (issues.length > 0) return { kind: "invalid-topology", issues };
    return new Engine(
      buildNetwork(spec, {
        seed: options.seed ?? 1,
        startTime: options.startTime ?? 0,
        eventBudget: options.eventBudget ?? DEFAULT_EVENT_BUDGET,
        capture: options.capture ?? null,
      }),
    );
  }

  get now(): number {
    return this.net.scheduler.now;
  }

  /** The seq the next event will get. */
  get nextSeq(): number {
    return this.net.trace.seq;
  }

  hostNames(): string[] {
    return [...this.net.hosts.keys()];
  }

  namespaceNames(host: string): string[] {
    return [...(this.net.hosts.get(host)?.namespaces.keys() ?? [])];
  }

  run(req: CommandRequest): CommandResult {
    const host = this.net.hosts.get(req.host);
    const nsName = req.namespace ?? ROOT_NAMESPACE;
    const ns = host?.namespaces.get(nsName);
    if (host === undefined || ns === undefined) {
      const output = host === undefined ? `cnlab: no host named "${req.host}"\n` : `cnlab: no namespace "${nsName}" on host ${req.host}\n`;
      return { output, exitCode: 1, events: [], time: this.now };
    }
    let output = "";
    let exitCode = 0;
    try {
      if (req.at !== undefined && req.at > this.now) this.net.scheduler.runUntil(req.at);
      const outcome = runCommandLine(this.net, host, ns, req.command);
      output = outcome.output;
      exitCode = outcome.exitCode;
      this.net.scheduler.runUntil(this.now + SETTLE);
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      this.net.scheduler.discardDue(this.now + STORM_HORIZON);
      this.net.trace.emitFinal({
        kind: "drop",
        host: host.name,
        namespace: ns.name,
        device: null,
        packetId: null,
        layers: null,
        summary: `stopped after ${e.budget} trace events: frames were still multiplying (a forwarding loop?)`,
        reason: "storm-budget",
        detail: `event budget ${e.budget} exceeded`,
      });
      output += `cnlab: stopped after ${e.budget} trace events: the network was still multiplying frames (a bridge or routing loop?). Pending frames were discarded.\n`;
      exitCode = 1;
    }
    return { output, exitCode, events: this.net.trace.take(), time: this.now };
  }

  /** Lets virtual time pass with no command (timers: ARP ageing, FDB ageing, TIME-WAIT). */
  advanceTo(time: number): TraceEvent[] {
    try {
      if (time > this.now) this.net.scheduler.runUntil(time);
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      this.net.scheduler.discardDue(this.now + STORM_HORIZON);
    }
    return this.net.trace.take();
  }

  state(): NetworkState {
    return snapshotNetwork(this.net);
  }

  /** For the container shorthand: which namespace `docker exec NAME` means. */
  containerNamespace(host: string, container: string): string | undefined {
    const h: SimHost | undefined = this.net.hosts.get(host);
    return h?.container(container)?.namespace;
  }
}
