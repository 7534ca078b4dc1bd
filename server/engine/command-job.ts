/**
 * One command line on its way through the engine, run in steps. The first
 * step starts it (the clock runs up to the time it was typed, the program
 * parses its arguments and acts); a command that goes on over virtual time
 * (ping, sleep) returns a process, and every further step advances it. After
 * the last step the network settles (frames in flight, handshakes ending).
 *
 * Between two steps the job may be stopped, as Ctrl-C would stop it: by this
 * job's own limits (events recorded, output printed), which are
 * deterministic, or from outside (the simulator's thread measured too much
 * CPU or wall time). A stop from outside is recorded as an Interruption (the
 * reason and after how many steps), and a replay given that record stops the
 * command at the same step, so it prints and records the same.
 *
 * Within a step the trace recorder's storm budget stops a loop that never
 * ends (BudgetExceeded): pending frames are discarded and the output says so.
 */
import { CommandFailure, type CommandProcess } from "./commands/command-context.js";
import { startCommandLine, stepProcess } from "./commands/run-command.js";
import type { EngineLimits } from "./limits.js";
import type { NetNamespace } from "./stack/namespace.js";
import type { Network, SimHost } from "./topology/network.js";
import type { TraceEvent } from "./trace/trace-event.js";
import { BudgetExceeded } from "./trace/trace-recorder.js";

/** Why a command was stopped between two of its steps. */
export const INTERRUPT_REASONS = ["event-budget", "output-budget", "cpu-budget", "wall-budget"] as const;
export type InterruptReason = (typeof INTERRUPT_REASONS)[number];

export interface Interruption {
  reason: InterruptReason;
  /** Steps the command had run when it was stopped. */
  afterSteps: number;
  /** The limit that was reached, as the message states it: events, bytes or milliseconds. */
  limit: number;
}

export interface CommandResult {
  output: string;
  exitCode: number;
  /** The events it recorded, but for those takeEvents() already handed over. */
  events: TraceEvent[];
  /** Virtual time when the command finished, µs. */
  time: number;
  /** Set when a limit stopped the command before its end. */
  interruption: Interruption | null;
}

/** How long after a command the network settles (frames in flight, handshakes ending), µs. */
const SETTLE = 10_000;
/** How far ahead a storm's pending frames are discarded, µs. */
const STORM_HORIZON = 1_000_000;

export class CommandJob {
  private readonly out: string[] = [];
  private readonly firstSeq: number;
  private process: CommandProcess | null = null;
  private exitCode: number | null = null;
  private interruption: Interruption | null = null;
  private steps = 0;
  /** Output lines counted so far, and their length. */
  private countedLines = 0;
  private outputLength = 0;

  constructor(
    private readonly net: Network,
    private readonly host: SimHost,
    private readonly ns: NetNamespace,
    private readonly line: string,
    private readonly at: number | undefined,
    private readonly limits: EngineLimits,
    /** A replay's record of where the first run was stopped from outside. */
    private readonly stopAt: Interruption | null,
  ) {
    this.firstSeq = net.trace.seq;
  }

  get done(): boolean {
    return this.exitCode !== null;
  }

  /** Steps run so far. */
  get stepCount(): number {
    return this.steps;
  }

  /** Runs one step; true once the command has ended and the network settled. */
  step(): boolean {
    if (this.exitCode !== null) return true;
    const { net } = this;
    net.trace.beginStep();
    try {
      if (this.steps === 0) {
        if (this.at !== undefined && this.at > net.scheduler.now) net.scheduler.runUntil(this.at);
        const status = startCommandLine(net, this.host, this.ns, this.line, this.out);
        if (typeof status === "number") this.finish(status);
        else this.process = status;
      } else {
        const code = stepProcess(this.process!, this.out);
        if (code !== null) this.finish(code);
      }
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      this.storm(e.budget);
    }
    this.steps++;
    if (this.exitCode === null) this.checkLimits();
    return this.exitCode !== null;
  }

  /** Stops the command between two steps (a no-op once it has ended). */
  interrupt(reason: InterruptReason, limit: number): void {
    if (this.exitCode !== null) return;
    this.interruption = { reason, afterSteps: this.steps, limit };
    const progress = this.process?.progress() ?? "";
    const code = this.endProcess();
    const why = interruptText(reason, limit);
    this.out.push(`cnlab: the command was stopped${progress === "" ? "" : ` after ${progress}`}: ${why}.`);
    this.stopEvent(reason, `command stopped: ${why}`, `${this.line.trim().slice(0, 200)}${progress === "" ? "" : ` (${progress})`}`);
    this.net.trace.beginStep();
    try {
      this.finish(code);
    } catch (e) {
      if (!(e instanceof BudgetExceeded)) throw e;
      this.storm(e.budget);
    }
  }

  /**
   * The events recorded so far, handed over now instead of with the result:
   * a ping at its event budget records hundreds of thousands, and held until
   * its end they outlive the young generation and cost a full collection.
   */
  takeEvents(): TraceEvent[] {
    return this.net.trace.drain();
  }

  /** Runs every step to the end (tests, replays, probes). */
  runToEnd(): CommandResult {
    while (!this.step());
    return this.result();
  }

  /** The command's answer and the events it recorded; call once it is done. */
  result(): CommandResult {
    return {
      output: this.output(),
      exitCode: this.exitCode ?? 0,
      events: this.net.trace.take(),
      time: this.net.scheduler.now,
      interruption: this.interruption,
    };
  }

  private finish(code: number): void {
    this.exitCode = code;
    this.process = null;
    this.net.scheduler.runUntil(this.net.scheduler.now + SETTLE);
  }

  /** The limits checked between steps: a replay's recorded stop, then this job's own. */
  private checkLimits(): void {
    if (this.stopAt !== null && this.steps >= this.stopAt.afterSteps) {
      this.interrupt(this.stopAt.reason, this.stopAt.limit);
      return;
    }
    if (this.net.trace.seq - this.firstSeq >= this.limits.commandEvents) {
      this.interrupt("event-budget", this.limits.commandEvents);
      return;
    }
    for (; this.countedLines < this.out.length; this.countedLines++) this.outputLength += this.out[this.countedLines]!.length + 1;
    if (this.outputLength > this.limits.outputBytes) this.interrupt("output-budget", this.limits.outputBytes);
  }

  private storm(budget: number): void {
    const { net } = this;
    net.scheduler.discardDue(net.scheduler.now + STORM_HORIZON);
    this.endProcess();
    this.stopEvent("storm-budget", `stopped after ${budget} trace events: frames were still multiplying (a forwarding loop?)`, `event budget ${budget} exceeded`);
    this.out.push(
      `cnlab: stopped after ${budget} trace events: the network was still multiplying frames (a bridge or routing loop?). Pending frames were discarded.`,
    );
    this.exitCode = 1;
  }

  /**
   * Ends a running process as SIGINT would and returns its exit code; a
   * program without a SIGINT handler of its own ends as the shell reports it (128 + 2).
   */
  private endProcess(): number {
    const process = this.process;
    this.process = null;
    if (process === null) return 130;
    try {
      return process.interrupt();
    } catch (e) {
      if (!(e instanceof CommandFailure)) throw e;
      return e.exitCode;
    }
  }

  /** The drop event that says why the command stopped: recorded past the storm budget, so the trace always says it. */
  private stopEvent(reason: InterruptReason | "storm-budget", summary: string, detail: string): void {
    this.net.trace.emitFinal({ seq: 0, time: 0, kind: "drop", host: this.host.name, namespace: this.ns.name, device: null, packetId: null, layers: null, summary, reason, detail });
  }

  /** The printed text, cut at the output limit with a note. */
  private output(): string {
    if (this.out.length === 0) return "";
    const text = this.out.join("\n") + "\n";
    const max = this.limits.outputBytes;
    if (text.length <= max) return text;
    const cut = text.lastIndexOf("\n", max - 1) + 1;
    return `${text.slice(0, cut)}cnlab: output cut after ${cut} of ${text.length} bytes: one command may print at most ${max} bytes.\n`;
  }
}

function interruptText(reason: InterruptReason, limit: number): string {
  switch (reason) {
    case "event-budget":
      return `it reached the limit of ${limit} trace events one command may record`;
    case "output-budget":
      return `its output reached the limit of ${limit} bytes one command may print`;
    case "cpu-budget":
      return `it used the ${limit} ms of simulator time one command may take`;
    case "wall-budget":
      return `it ran for the ${limit} ms one command may last`;
    default: {
      const never: never = reason;
      return never;
    }
  }
}
