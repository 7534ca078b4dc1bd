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
  /** Runs another command line in a namespace (docker exec). */
  readonly exec: (ns: NetNamespace, argv: string[]) => number;
}

/** A command returns its exit code; its text goes to ctx.out. */
export type CommandHandler = (argv: string[], ctx: CommandContext) => number;

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
