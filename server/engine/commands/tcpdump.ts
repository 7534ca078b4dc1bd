/**
 * tcpdump 4.99 in the terminal. cnlab runs one command at a time, so a
 * capture cannot run beside the traffic it watches; instead `tcpdump -i DEV`
 * prints the frames DEV saw since your previous command began (the frames of
 * that command and of the quiet time after it), then ends as if you had
 * pressed Ctrl-C. A tcpdump does not start a new window: several in a row
 * look at the same traffic from different devices. The frames come from the
 * engine's capture hook (capture/device-frame-log.ts), so they are exactly
 * the frames of the pcap export.
 *
 * Promiscuous by default, as the real tool: on a bridge (docker0, cni0) it
 * shows every frame entering the bridge from its ports plus what the host
 * sends through it; `-p` shows only what the bridge device itself receives
 * (frames for its MAC, broadcast, multicast) and sends. Options: -i, -n
 * (names are never resolved here, so it changes nothing), -e, -v, -c N, -p,
 * -t, -S, -l, and a filter expression (tcpdump-filter.ts).
 */
import type { LoggedFrame } from "../capture/device-frame-log.js";
import { frameLayers } from "../trace/frame-layers.js";
import { isLayer3Device } from "../link/point-to-point.js";
import { fail, type CommandHandler } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";
import { matchFilter, parseFilter } from "./tcpdump-filter.js";
import { TcpdumpPrinter } from "./tcpdump-format.js";

const VERSION = ["tcpdump version 4.99.3", "libpcap version 1.10.3 (with TPACKET_V3)", "OpenSSL 3.0.19 27 Jan 2026"];
const USAGE = [
  "Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]",
  "\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]",
  "\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]",
  "\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]",
  "\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]",
  "\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]",
  "\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]",
  "\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]",
];
/** Options taking an argument, as tcpdump's getopt string has them. */
const WITH_ARGUMENT = new Set("BcCEFGiIjMmQrsTVwWyzZ".split(""));
const FLAGS = new Set("AbdDefhHIJKlLnNOpqStuUvxX#".split(""));
const usageFailure = (first: string): never => fail([first, ...VERSION, ...USAGE].join("\n"), 1);
const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

export const tcpdumpCommand: CommandHandler = (argv, ctx) => {
  let device: string | undefined;
  let count: number | null = null;
  let link = false;
  let verbose = 0;
  let promiscuous = true;
  let noTime = false;
  let absoluteSeq = false;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const name = a.replace(/=.*/, "");
      if (name === "--version") {
        ctx.out.push(...VERSION);
        return 0;
      }
      if (name === "--help") {
        ctx.out.push(...VERSION, ...USAGE);
        return 0;
      }
      if (name === "--interface") {
        device = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
        if (device === undefined) usageFailure(`tcpdump: option '--interface' requires an argument`);
        continue;
      }
      if (name === "--no-promiscuous-mode") {
        promiscuous = false;
        continue;
      }
      if (["--count", "--immediate-mode", "--number", "--print", "--micro", "--nano", "--time-stamp-precision", "--list-interfaces", "--list-time-stamp-types", "--relinquish-privileges", "--snapshot-length", "--direction", "--buffer-size"].includes(name))
        notSimulated(`tcpdump ${name}`);
      usageFailure(`tcpdump: unrecognized option '${a}'`);
    }
    if (!a.startsWith("-") || a === "-") {
      words.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (WITH_ARGUMENT.has(c)) {
        const value = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (value === undefined) usageFailure(`tcpdump: option requires an argument -- '${c}'`);
        if (c === "i") device = value;
        else if (c === "c") {
          if (!/^\d+$/.test(value!) || Number(value) <= 0) fail(`tcpdump: invalid packet count ${value}`, 1);
          count = Number(value);
        } else notSimulated(`tcpdump -${c}`);
        break;
      }
      if (!FLAGS.has(c)) usageFailure(`tcpdump: invalid option -- '${c}'`);
      if (c === "n" || c === "l") continue;
      else if (c === "e") link = true;
      else if (c === "v") verbose++;
      else if (c === "p") promiscuous = false;
      else if (c === "t") noTime = true;
      else if (c === "S") absoluteSeq = true;
      else if (c === "h") {
        ctx.out.push(...VERSION, ...USAGE);
        return 0;
      } else notSimulated(`tcpdump -${c}`);
    }
  }
  if (verbose > 1) notSimulated(`tcpdump -${"v".repeat(verbose)}`);
  // tcpdump opens the device before it compiles the expression: a missing device is the first error.
  if (device === "any") notSimulated("tcpdump -i any");
  const dev = device === undefined ? ctx.ns.deviceList().find((d) => d.kind !== "loopback" && d.adminUp) : ctx.ns.devices.get(device);
  if (dev === undefined) {
    if (device === undefined) fail("tcpdump: no suitable device found", 1);
    fail(`tcpdump: ${device}: No such device exists\n(No such device exists)`, 1);
  }
  if (!dev!.adminUp) fail(`tcpdump: ${dev!.name}: That device is not up`, 1);
  const filter = parseFilter(words);
  const raw = isLayer3Device(dev!.kind);

  const out = ctx.out;
  if (verbose === 0) out.push("tcpdump: verbose output suppressed, use -v[v]... for full protocol decode");
  out.push(`${verbose === 0 ? "" : "tcpdump: "}listening on ${dev!.name}, link-type ${raw ? "RAW (Raw IP)" : "EN10MB (Ethernet)"}, snapshot length 262144 bytes`);

  const host = ctx.ns.host;
  const nsName = ctx.ns.name;
  const name = dev!.name;
  // A promiscuous device also sees what it would otherwise not be given: on a bridge, the frames it bridges between ports.
  const sees = (e: LoggedFrame): boolean =>
    e.device === name && e.host === host && e.namespace === nsName && (promiscuous || !e.promiscuousOnly);

  const printer = new TcpdumpPrinter({ link, verbose: verbose > 0, absoluteSeq, noTime });
  let captured = 0;
  let received = 0;
  for (const e of ctx.net.frameLog.read()) {
    if (!sees(e)) continue;
    const layers = frameLayers(e.bytes);
    if (filter !== null && !matchFilter(filter, layers)) continue;
    received++;
    if (count !== null && captured >= count) continue;
    out.push(printer.print(e.time, layers, e.bytes, raw));
    captured++;
  }
  // Without -c, or with fewer frames than -c asked for, the capture is ended as Ctrl-C ends it: a new line first.
  if (count === null || captured < count) out.push("");
  out.push(plural(captured, "packet") + " captured");
  out.push(plural(received, "packet") + " received by filter");
  out.push(plural(ctx.net.frameLog.droppedOn(host, nsName, name), "packet") + " dropped by kernel");
  return 0;
};
