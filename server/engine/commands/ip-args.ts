/**
 * iproute2's command-line conventions, shared by the `ip` objects and by
 * `bridge`: keyword abbreviation (matches()), the stock error messages and
 * their exit codes, and address/prefix arguments read the way get_addr and
 * get_prefix read them. Everything here either returns a value or throws a
 * CommandFailure before any state is touched.
 */
import type { Device } from "../link/device.js";
import { fail, type CommandContext } from "./command-context.js";
import { parseIproute2Ipv4, parseIproute2Prefix } from "./ipv4-text-forms.js";

/** iproute2 matches(): `arg` is a non-empty prefix of `keyword` ("ad" → "address"). */
export function matches(arg: string, keyword: string): boolean {
  return arg.length > 0 && arg.length <= keyword.length && keyword.startsWith(arg);
}

/** Reads argv like iproute2's NEXT_ARG(): running out is "Command line is not complete". */
export class ArgReader {
  private i = 0;
  constructor(private readonly argv: readonly string[]) {}

  get done(): boolean {
    return this.i >= this.argv.length;
  }

  peek(): string | undefined {
    return this.argv[this.i];
  }

  take(): string {
    const a = this.argv[this.i];
    if (a === undefined) incomplete();
    this.i++;
    return a;
  }

  /** The argument after a keyword. */
  value(): string {
    return this.take();
  }

  rest(): string[] {
    const r = this.argv.slice(this.i);
    this.i = this.argv.length;
    return r;
  }
}

export function incomplete(): never {
  fail(`Command line is not complete. Try option "help"`, 255);
}

/** duparg2(): a second positional argument where one was already given. */
export function garbage(key: string, arg: string): never {
  fail(`Error: either "${key}" is duplicate, or "${arg}" is a garbage.`, 255);
}

/** invarg(): a keyword's value is not acceptable. */
export function invalidArgument(message: string, arg: string): never {
  fail(`Error: argument "${arg}" is wrong: ${message}`, 255);
}

/** The kernel refused the request (the message is the netlink extack or strerror). */
export function kernelError(message: string): never {
  fail(message, 2);
}

export function rtnetlink(strerror: string): never {
  kernelError(`RTNETLINK answers: ${strerror}`);
}

/** get_addr(): an address of `family`; "inet" once the command knows it is IPv4, "any valid" before. */
export function parseAddressArg(text: string, family: "inet" | "any valid"): number {
  const a = parseIproute2Ipv4(text);
  if (a === null) fail(`Error: ${family} address is expected rather than "${text}".`, 1);
  return a;
}

/** get_prefix(): ADDR[/LEN], or default/any/all for 0/0. */
export function parsePrefixArg(text: string, family: "inet" | "any valid"): { address: number; prefixLength: number } {
  if (text === "default" || text === "any" || text === "all") return { address: 0, prefixLength: 0 };
  const p = parseIproute2Prefix(text);
  if (p === null) fail(`Error: ${family} prefix is expected rather than "${text}".`, 1);
  return p;
}

/** get_unsigned(): a C unsigned number, or null. */
export function parseUnsigned(text: string): number | null {
  if (!/^(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)$/.test(text)) return null;
  const n = text.startsWith("0x") || text.startsWith("0X") ? parseInt(text.slice(2), 16) : text.length > 1 && text.startsWith("0") ? parseInt(text.slice(1), 8) : parseInt(text, 10);
  return n <= 0xffffffff ? n : null;
}

/** ll_addr_a2n(): "aa:bb:..." with one or two hex digits per byte; a bad byte is reported by itself. */
export function parseLladdr(text: string): { mac: string } | { bad: string } {
  const parts = text.split(":");
  const bad = parts.find((p) => !/^[0-9a-fA-F]{1,2}$/.test(p));
  if (bad !== undefined) return { bad };
  return { mac: parts.map((p) => p.toLowerCase().padStart(2, "0")).join(":") };
}

/** A link-layer address argument, or iproute2's complaint about its first bad byte (exit 1). */
export function lladdrArg(text: string): string {
  const r = parseLladdr(text);
  if ("bad" in r) fail(`"${r.bad}" is invalid lladdr.`, 1);
  return r.mac;
}

/** `ip addr|link show [dev] NAME`: the one device named, or all of them in ifindex order. */
export function selectDevices(ctx: CommandContext, devName: string | undefined): Device[] {
  if (devName === undefined) return ctx.ns.deviceList();
  const dev = ctx.ns.device(devName);
  if (dev === undefined) fail(`Device "${devName}" does not exist.`, 1);
  return [dev];
}
