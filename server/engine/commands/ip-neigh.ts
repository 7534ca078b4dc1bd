/**
 * `ip neigh`: list the ARP neighbour table with its NUD states, and add,
 * replace, change, delete or flush entries.
 *
 * Changes go through the stack's neighUpdate / neighDelete (the kernel's
 * neigh_update): a timer armed for the old state stops, `nud reachable` arms
 * the REACHABLE → STALE timer as an ARP reply would, packets queued while
 * the address was unresolved leave at once, and each change is a
 * `neigh-state` event.
 */
import { isLimitReached } from "../object-quota.js";
import type { NeighbourEntry } from "../stack/neighbour-cache.js";
import { neighDelete, neighUpdate } from "../stack/arp.js";
import type { NeighbourState } from "../trace/trace-event.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandContext } from "./command-context.js";
import { ArgReader, garbage, invalidArgument, kernelError, lladdrArg, matches, parseAddressArg, rtnetlink } from "./ip-args.js";
import type { IpOptions } from "./ip-options.js";
import { hasValidLladdr, listNeighbours } from "./neighbour-listing.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

const NUD_NAMES: Record<string, NeighbourState | "all"> = {
  permanent: "PERMANENT",
  reachable: "REACHABLE",
  stale: "STALE",
  delay: "DELAY",
  probe: "PROBE",
  incomplete: "INCOMPLETE",
  failed: "FAILED",
  none: "NONE",
  all: "all",
};

function parseNud(value: string): NeighbourState | "all" | "noarp" {
  if (value === "noarp") return "noarp";
  const s = NUD_NAMES[value.toLowerCase()];
  if (s === undefined) invalidArgument("nud state is bad", value);
  return s;
}

const SECOND = 1_000_000;

/** -s: " ref N used U/C/U" then "probes N " (iproute2 6.1 prints them without a space between). */
function statistics(e: NeighbourEntry, now: number): string {
  const inUse = e.state === "REACHABLE" || e.state === "DELAY" || e.state === "PROBE" || e.state === "INCOMPLETE";
  const ago = (t: number) => Math.floor((now - t) / SECOND);
  return `${inUse ? " ref 1" : ""} used ${ago(e.used)}/${ago(e.confirmed)}/${ago(e.confirmed)}probes ${e.probes} `;
}

function entryLine(e: NeighbourEntry, opts: { hideDev: boolean; stats: boolean; now: number }): string {
  let line = formatIpv4(e.ip);
  if (!opts.hideDev) line += ` dev ${e.dev}`;
  if (hasValidLladdr(e)) line += ` lladdr ${e.mac} `;
  else line += " ";
  if (opts.stats) line += statistics(e, opts.now);
  return `${line}${e.state} `;
}

function show(args: ArgReader, ctx: CommandContext, opts: IpOptions): number {
  let devName: string | undefined;
  let address: number | undefined;
  let nud: NeighbourState | "all" | undefined;
  while (!args.done) {
    const a = args.take();
    if (a === "dev") devName = args.value();
    else if (a === "nud") {
      const n = parseNud(args.value());
      if (n === "noarp") return 0;
      nud = n;
    } else if (a === "proxy" || a === "unused" || a === "vrf" || a === "master" || a === "nomaster") notSimulated(`ip neigh show ${a}`);
    else {
      const text = a === "to" ? args.value() : a;
      if (address !== undefined) garbage("to", text);
      address = parseAddressArg(text, "any valid");
    }
  }
  if (devName !== undefined && ctx.ns.device(devName) === undefined) fail(`Cannot find device "${devName}"`, 1);
  if (opts.family === 6) return 0;
  for (const e of listNeighbours(ctx.ns)) {
    if (devName !== undefined && e.dev !== devName) continue;
    if (address !== undefined && e.ip !== address) continue;
    if (nud === undefined ? e.state === "NONE" : nud !== "all" && e.state !== nud) continue;
    ctx.out.push(entryLine(e, { hideDev: devName !== undefined, stats: opts.stats > 0, now: ctx.net.scheduler.now }));
  }
  return 0;
}

interface NeighRequest {
  devName: string;
  address: number;
  lladdr: string | undefined;
  nud: NeighbourState | "all" | "noarp" | undefined;
}

function parseRequest(args: ArgReader): NeighRequest {
  let devName: string | undefined;
  let address: number | undefined;
  let lladdr: string | undefined;
  let nud: NeighRequest["nud"];
  while (!args.done) {
    const a = args.take();
    if (a === "lladdr") {
      lladdr = lladdrArg(args.value());
    } else if (a === "nud") {
      nud = parseNud(args.value());
    } else if (a === "dev") {
      devName = args.value();
    } else if (a === "router" || a === "proxy" || a === "extern_learn" || a === "managed" || a === "use" || a === "protocol") {
      notSimulated(`ip neigh ... ${a}`);
    } else {
      const text = a === "to" ? args.value() : a;
      if (address !== undefined) garbage("to", text);
      address = parseAddressArg(text, "any valid");
    }
  }
  if (devName === undefined || address === undefined) fail("Device and destination are required arguments.", 255);
  return { devName, address, lladdr, nud };
}

function modify(args: ArgReader, ctx: CommandContext, mode: "add" | "replace" | "change"): number {
  const req = parseRequest(args);
  const dev = ctx.ns.device(req.devName);
  if (dev === undefined) fail(`Cannot find device "${req.devName}"`, 1);
  const nud = req.nud ?? "PERMANENT";
  if (nud !== "PERMANENT" && nud !== "REACHABLE" && nud !== "STALE") notSimulated(`ip neigh ${mode} ... nud ${String(nud).toLowerCase()}`);
  if (req.lladdr === undefined) kernelError("Error: No link layer address given.");
  if (req.lladdr.split(":").length !== 6) rtnetlink("Invalid argument");
  const existing = ctx.ns.neigh.get(dev.name, req.address);
  if (mode === "add" && existing !== undefined && existing.state !== "NONE") rtnetlink("File exists");
  if (mode === "change" && existing === undefined) rtnetlink("No such file or directory");

  const e = neighUpdate(ctx.ns, dev, req.address, req.lladdr, nud, `ip neigh ${mode}`);
  if (isLimitReached(e)) limitReached(e, 2);
  return 0;
}

function del(args: ArgReader, ctx: CommandContext): number {
  const req = parseRequest(args);
  const dev = ctx.ns.device(req.devName);
  if (dev === undefined) fail(`Cannot find device "${req.devName}"`, 1);
  if (!neighDelete(ctx.ns, dev.name, req.address, "ip neigh del")) rtnetlink("No such file or directory");
  return 0;
}

function flush(args: ArgReader, ctx: CommandContext): number {
  if (args.done) fail("Flush requires arguments.", 1);
  let devName: string | undefined;
  while (!args.done) {
    const a = args.take();
    if (a === "dev") devName = args.value();
    else if (a !== "all") notSimulated(`ip neigh flush ${a}`);
  }
  if (devName !== undefined && ctx.ns.device(devName) === undefined) fail(`Cannot find device "${devName}"`, 1);
  for (const e of ctx.ns.neigh.list()) {
    if (e.state === "PERMANENT" || (devName !== undefined && e.dev !== devName)) continue;
    neighDelete(ctx.ns, e.dev, e.ip, "ip neigh flush");
  }
  return 0;
}

export function ipNeigh(argv: string[], ctx: CommandContext, opts: IpOptions): number {
  const args = new ArgReader(argv);
  const cmd = args.done ? "show" : args.take();
  if (matches(cmd, "add")) return modify(args, ctx, "add");
  if (matches(cmd, "change") || cmd === "chg") return modify(args, ctx, "change");
  if (matches(cmd, "replace")) return modify(args, ctx, "replace");
  if (matches(cmd, "delete")) return del(args, ctx);
  if (matches(cmd, "get")) notSimulated("ip neigh get");
  if (matches(cmd, "show") || matches(cmd, "list") || matches(cmd, "lst")) return show(args, ctx, opts);
  if (matches(cmd, "flush")) return flush(args, ctx);
  fail(`Command "${cmd}" is unknown, try "ip neigh help".`, 255);
}
