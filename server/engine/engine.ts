/**
 * The engine's face: build a network from a topology, run commands in it,
 * get their output and the trace events they caused, look at its state.
 * Everything is deterministic: the same topology, seed, limits, command lines,
 * command times and recorded interruptions give byte-identical outputs and
 * traces. Nothing here reads a clock, draws a random number of its own or
 * does I/O.
 *
 * A command runs as a CommandJob, in steps, so whoever hosts the engine can
 * share a thread between sessions and stop a command between two steps;
 * `run` is the same job stepped to its end.
 */
import { CommandJob, type CommandResult, type Interruption } from "./command-job.js";
import type { FrameCapture } from "./link/device.js";
import { clusterDnsZone, type ClusterDnsZone } from "./kube/dns-zone.js";
import { DEFAULT_LIMITS, type EngineLimits } from "./limits.js";
import { buildNetwork } from "./topology/build-network.js";
import type { Network, SimHost } from "./topology/network.js";
import { ROOT_NAMESPACE, type TopologySpec } from "./topology/topology-schema.js";
import { validateTopology, type TopologyIssue } from "./topology/validate-topology.js";
import type { TraceEvent } from "./trace/trace-event.js";
import { BudgetExceeded } from "./trace/trace-recorder.js";
import { snapshotNetwork, type NetworkState } from "./state/snapshot.js";

export interface EngineOptions {
  seed?: number;
  /** Virtual start time, µs. */
  startTime?: number;
  /** What the session may hold and one command may do (DEFAULT_LIMITS when absent). */
  limits?: EngineLimits;
  /** Overrides limits.stormEvents: trace events one step may cause before it is stopped as a storm. */
  eventBudget?: number;
  /** Called for every frame sent or received on any device (capture files replay a session with this). */
  capture?: FrameCapture;
}

export interface CommandRequest {
  host: string;
  namespace?: string | undefined;
  command: string;
  /** Virtual time (µs) at which the command is typed; the clock first runs up to it. Never backwards. */
  at?: number;
}

export type { CommandResult };

export type EngineError = { kind: "invalid-topology"; issues: TopologyIssue[] };

/** How far ahead a storm's pending frames are discarded, µs. */
const STORM_HORIZON = 1_000_000;

export class Engine {
  private constructor(
    private readonly net: Network,
    readonly limits: EngineLimits,
  ) {}

  static create(spec: TopologySpec, options: EngineOptions = {}): Engine | EngineError {
    const issues = validateTopology(spec);
    if (issues.length > 0) return { kind: "invalid-topology", issues };
    const limits = { ...(options.limits ?? DEFAULT_LIMITS) };
    if (options.eventBudget !== undefined) limits.stormEvents = options.eventBudget;
    return new Engine(
      buildNetwork(spec, {
        seed: options.seed ?? 1,
        startTime: options.startTime ?? 0,
        eventBudget: limits.stormEvents,
        limits,
        capture: options.capture ?? null,
      }),
      limits,
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

  /**
   * Starts a command; step the job until it is done, then take its result.
   * An unknown host or namespace gives a job that is done at once with the message.
   * `stopAt`: a replay's record of where the command was stopped the first time.
   */
  start(req: CommandRequest, stopAt: Interruption | null = null): CommandJob | CommandResult {
    const host = this.net.hosts.get(req.host);
    const nsName = req.namespace ?? ROOT_NAMESPACE;
    const ns = host?.namespaces.get(nsName);
    if (host === undefined || ns === undefined) {
      const output = host === undefined ? `cnlab: no host named "${req.host}"\n` : `cnlab: no namespace "${nsName}" on host ${req.host}\n`;
      return { output, exitCode: 1, events: [], time: this.now, interruption: null };
    }
    return new CommandJob(this.net, host, ns, req.command, req.at, this.limits, stopAt);
  }

  /** Runs a command to its end (its own limits still apply). */
  run(req: CommandRequest, stopAt: Interruption | null = null): CommandResult {
    const job = this.start(req, stopAt);
    return job instanceof CommandJob ? job.runToEnd() : job;
  }

  /** Lets virtual time pass with no command (timers: ARP ageing, FDB ageing, TIME-WAIT). */
  advanceTo(time: number): TraceEvent[] {
    this.net.trace.beginStep();
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

  /** The names the cluster's DNS serves now, for a server that answers as the simulated CoreDNS does; null without a cluster. */
  clusterDnsZone(): ClusterDnsZone | null {
    return this.net.kube === null ? null : clusterDnsZone(this.net.kube);
  }

  /** For the container shorthand: which namespace `docker exec NAME` means. */
  containerNamespace(host: string, container: string): string | undefined {
    const h: SimHost | undefined = this.net.hosts.get(host);
    return h?.container(container)?.namespace;
  }
}
