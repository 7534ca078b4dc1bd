/**
 * Runs one command line in a namespace: tokenizes it, finds the program,
 * and turns usage errors into the tool's message and exit code. A program
 * that fails validation changes nothing, because every handler checks its
 * arguments and objects before it touches the network.
 */
import type { NetNamespace } from "../stack/namespace.js";
import type { Network, SimHost } from "../topology/network.js";
import { CommandFailure, type CommandContext, type ExitStatus } from "./command-context.js";
import { COMMANDS } from "./registry.js";
import { splitHereDocument } from "./here-document.js";
import { tokenize } from "./tokenize.js";

/** The context of one command line; a class so its exec method is shared, not made per command. */
class Terminal implements CommandContext {
  constructor(
    readonly net: Network,
    readonly host: SimHost,
    readonly ns: NetNamespace,
    readonly out: string[],
    readonly stdin?: string,
  ) {}

  exec(inner: NetNamespace, argv: string[]): ExitStatus {
    return runArgv(this.net, this.host, inner, argv, this.out);
  }
}

export function runArgv(net: Network, host: SimHost, ns: NetNamespace, argv: string[], out: string[], stdin?: string): ExitStatus {
  const name = argv[0];
  if (name === undefined) return 0;
  const handler = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (handler === undefined) {
    out.push(`bash: ${name}: command not found`);
    return 127;
  }
  const ctx = new Terminal(net, host, ns, out, stdin);
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

/**
 * Starts a command line: its exit code when it ended at once (usage errors
 * included), or the process the engine steps on. Output goes to `out`.
 */
export function startCommandLine(net: Network, host: SimHost, ns: NetNamespace, line: string, out: string[]): ExitStatus {
  // tcpdump shows the frames since the previous command began (device-frame-log.ts).
  net.frameLog.beginCommand();
  const doc = splitHereDocument(line.trim());
  if (!doc.ok) {
    out.push(`bash: ${doc.error}`);
    return 2;
  }
  if (doc.warning !== null) out.push(doc.warning);
  const t = tokenize(doc.line.trim());
  if (!t.ok) {
    out.push(`bash: ${t.error}`);
    return 2;
  }
  return runArgv(net, host, ns, t.argv, out, doc.stdin);
}

/** A process's step, with usage failures (CommandFailure) turned into the tool's message and exit code. */
export function stepProcess(process: { step(): number | null }, out: string[]): number | null {
  try {
    return process.step();
  } catch (e) {
    if (e instanceof CommandFailure) {
      if (e.message !== "") out.push(...e.message.split("\n"));
      return e.exitCode;
    }
    throw e;
  }
}
