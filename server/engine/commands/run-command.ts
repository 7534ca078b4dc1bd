/**
 * Runs one command line in a namespace: tokenizes it, finds the program,
 * and turns usage errors into the tool's message and exit code. A program
 * that fails validation changes nothing, because every handler checks its
 * arguments and objects before it touches the network.
 */
import type { NetNamespace } from "../stack/namespace.js";
import type { Network, SimHost } from "../topology/network.js";
import { CommandFailure, type CommandContext } from "./command-context.js";
import { COMMANDS } from "./registry.js";
import { tokenize } from "./tokenize.js";

export interface CommandOutcome {
  output: string;
  exitCode: number;
}

/** The context of one command line; a class so its exec method is shared, not made per command. */
class Terminal implements CommandContext {
  constructor(
    readonly net: Network,
    readonly host: SimHost,
    readonly ns: NetNamespace,
    readonly out: string[],
  ) {}

  exec(inner: NetNamespace, argv: string[]): number {
    return runArgv(this.net, this.host, inner, argv, this.out);
  }
}

export function runArgv(net: Network, host: SimHost, ns: NetNamespace, argv: string[], out: string[]): number {
  const name = argv[0];
  if (name === undefined) return 0;
  const handler = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (handler === undefined) {
    out.push(`bash: ${name}: command not found`);
    return 127;
  }
  const ctx = new Terminal(net, host, ns, out);
  try {
    return handler(argv.slice(1), ctx);
  } catch (e) {
    if (e instanceof CommandFailure) {
      if (e.message !== "") out.push(...e.message.split("\n"));
      return e.exitCode;
    }
    throw e;
  }
}

export function runCommandLine(net: Network, host: SimHost, ns: NetNamespace, line: string): CommandOutcome {
  const t = tokenize(line.trim());
  if (!t.ok) return { output: `bash: ${t.error}\n`, exitCode: 2 };
  const out: string[] = [];
  const exitCode = runArgv(net, host, ns, t.argv, out);
  return { output: out.length === 0 ? "" : out.join("\n") + "\n", exitCode };
}
