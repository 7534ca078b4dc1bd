/**
 * What a command runs against: the network, the host and namespace of the
 * terminal it was typed in, and an output buffer. Commands are pure over this
 * context: they read and change the network and write text, nothing else.
 */
import type { NetNamespace } from "../stack/namespace.js";
import type { Network, SimHost } from "../topology/network.js";

export interface CommandContext {
  readonly net: Network;
  readonly host: SimHost;
  readonly ns: NetNamespace;
  /** Lines the command prints (stdout and stderr interleaved, as a terminal shows them). */
  readonly out: string[];
  /** A here-document given to the command (`kubectl apply -f - <<EOF`); absent when it reads the terminal. */
  readonly stdin?: string;
  /** Runs another command line in a namespace (docker exec). */
  readonly exec: (ns: NetNamespace, argv: string[]) => ExitStatus;
}

/**
 * A command that goes on over virtual time (ping, sleep). The engine runs it
 * step by step: between two steps the simulator's thread may serve another
 * session, and a limit may stop the command as Ctrl-C would. A step is a
 * deterministic unit (a span of virtual time), so a replay that stops the
 * command after the same number of steps gets the same output and trace.
 */
export interface CommandProcess {
  /** Runs one step; returns the exit code once the command has ended, null while it goes on. May throw CommandFailure. */
  step(): number | null;
  /** Ends it between two steps as SIGINT would: prints what the real tool prints then, and returns its exit code. */
  interrupt(): number;
  /** How far it got, for the message that says why it was stopped ("1785 of 100000 packets sent"). */
  progress(): string;
}

/** What a command gives back: its exit code when it is done at once, or the process that goes on. */
export type ExitStatus = number | CommandProcess;

/** A command returns its exit status; its text goes to ctx.out. */
export type CommandHandler = (argv: string[], ctx: CommandContext) => ExitStatus;

/** A usage or lookup failure: print the message, exit with the code, change nothing. */
export class CommandFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
  }
}

export function fail(message: string, exitCode = 1): never {
  throw new CommandFailure(message, exitCode);
}
