/**
 * traceroute 2.1 (Debian's `traceroute` package): probes with TTL 1, 2, 3 …
 * until one reaches the target; every router on the way answers ICMP time
 * exceeded (the stack's own error), the target answers port unreachable (UDP,
 * the default and -U), an echo reply (-I), or a SYN-ACK or RST to a TCP SYN
 * (-T, port 80 unless -p; each probe from a raw socket on a port of its own,
 * as traceroute's tcp method sends them; the prober's kernel resets a SYN-ACK). A probe nobody answers within
 * the wait (-w, 5 s) prints `*`. Times are round trips on the virtual clock.
 *
 * Options: -n, -I, -U, -p port, -m max_ttl, -f first_ttl, -q nqueries,
 * -w wait, -F (don't fragment), `host [packetlen]`. The real tool sends up to
 * 16 probes at once (-N); here they go one after the other, which prints the
 * same lines. Names are not resolved (there is no DNS), so without -n a hop
 * prints as "address (address)", as traceroute does for an address without a
 * name. The other methods say they are not simulated.
 */
import type { IcmpError, TcpSegment } from "../link/payload.js";
import { limitMessage } from "../object-quota.js";
import { ipOutput } from "../stack/ipv4.js";
import type { NetNamespace } from "../stack/namespace.js";
import type { PingSocket, RawTcpSocket, UdpSocket } from "../stack/sockets.js";
import type { Scheduler } from "../sim/scheduler.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandHandler, type CommandProcess } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";
import { resolveHost } from "./resolve-host.js";

const SECOND = 1_000_000;
const PROCESS = "traceroute";
const USAGE_HINT = (opt: string, arg: string, argc: number) => `Cannot handle \`${opt}' option with arg \`${arg}' (argc ${argc})`;

interface Options {
  numeric: boolean;
  method: "udp" | "icmp" | "tcp";
  /** -U: a fixed destination port (no increment); otherwise the base port of the default method. */
  fixedPort: boolean;
  port: number;
  firstTtl: number;
  maxTtl: number;
  queries: number;
  waitMicros: number;
  dontFragment: boolean;
  target: string;
  packetLength: number;
}

function parse(argv: readonly string[]): Options {
  const o: Options = {
    numeric: false, method: "udp", fixedPort: false, port: -1, firstTtl: 1, maxTtl: 30, queries: 3,
    waitMicros: 5 * SECOND, dontFragment: false, target: "", packetLength: -1,
  };
  const positional: string[] = [];
  const number = (opt: string, value: string | undefined, argc: number): number => {
    if (value === undefined) fail(`Option \`${opt}' (argc ${argc}) requires an argument: \`${opt} ${opt === "-p" ? "port" : "value"}'`, 2);
    if (!/^\d+(\.\d+)?$/.test(value!)) fail(USAGE_HINT(opt, value!, argc), 2);
    return Number(value);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a === "-") {
      positional.push(a);
      continue;
    }
    if (a === "--help") fail("Usage:\n  traceroute [ -46dFITnreAUDV ] [ -f first_ttl ] [ -g gate,... ] [ -i device ] [ -m max_ttl ] [ -N squeries ] [ -p port ] [ -t tos ] [ -l flow_label ] [ -w MAX,HERE,NEAR ] [ -q nqueries ] [ -s src_addr ] [ -z sendwait ] [ --fwmark=num ] host [ packetlen ]", 0);
    if (a.startsWith("--")) notSimulated(`traceroute ${a.replace(/=.*/, "")}`);
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      const argc = i + 1;
      const takes = (): string | undefined => {
        const rest = a.slice(j + 1);
        j = a.length;
        return rest !== "" ? rest : argv[++i];
      };
      switch (c) {
        case "n": o.numeric = true; break;
        case "I": o.method = "icmp"; break;
        case "U": o.method = "udp"; o.fixedPort = true; break;
        case "T": o.method = "tcp"; break;
        case "F": o.dontFragment = true; break;
        case "4": break;
        case "p": o.port = number("-p", takes(), argc); break;
        case "m": o.maxTtl = number("-m", takes(), argc); break;
        case "f": o.firstTtl = number("-f", takes(), argc); break;
        case "q": o.queries = number("-q", takes(), argc); break;
        case "w": {
          const v = takes();
          // -w MAX[,HERE,NEAR]: only MAX is modelled (a probe waits at most that long).
          o.waitMicros = Math.round(number("-w", v?.split(",")[0], argc) * SECOND);
          break;
        }
        case "V":
          fail("Modern traceroute for Linux, version 2.1.2\nCopyright (c) 2016  Dmitry Butskoy,   License: GPL v2 or any later", 0);
          break;
        case "6": case "d": case "r": case "e": case "A": case "D": case "M": case "O": case "N": case "t": case "l": case "s": case "i": case "g": case "z":
          notSimulated(`traceroute -${c}`);
          break;
        default:
          fail(`Bad option \`-${c}' (argc ${argc})`, 2);
      }
    }
  }
  if (positional.length === 0) fail(`Specify "host" missing argument.`, 2);
  o.target = positional[0]!;
  if (positional.length > 1) {
    const len = positional[1]!;
    if (!/^\d+$/.test(len)) fail(`Cannot handle "packetlen" cmdline arg \`${len}' on position 2 (argc ${argv.indexOf(len) + 1})`, 2);
    o.packetLength = Number(len);
  }
  if (positional.length > 2) fail(`Too many cmdline args`, 2);
  if (o.maxTtl > 255) fail("max hops cannot be more than 255", 2);
  if (o.firstTtl < 1 || o.firstTtl > o.maxTtl) fail("first hop out of range", 2);
  if (o.queries < 1 || o.queries > 10) fail("no more than 10 probes per hop", 2);
  if (o.port < 0) o.port = o.method === "icmp" ? 1 : o.method === "tcp" ? 80 : o.fixedPort ? 53 : 33434;
  // 28 bytes of IP and UDP/ICMP headers, 32 of data by default; at least the headers.
  if (o.packetLength < 0) o.packetLength = 60;
  o.packetLength = Math.max(o.packetLength, 28);
  return o;
}

/** Unreachable codes traceroute marks after the time, and whether the code ends the trace. */
function annotation(error: IcmpError): string {
  if (error.type !== 3) return "";
  switch (error.code) {
    case 0: return " !N";
    case 1: return " !H";
    case 2: return " !P";
    case 3: return "";
    case 4: return ` !F-${error.nextHopMtu}`;
    case 5: return " !S";
    case 9: case 10: case 13: return " !X";
    case 14: return " !V";
    case 15: return " !C";
    default: return ` !<${error.code}>`;
  }
}

interface Probe {
  ttl: number;
  sentAt: number;
  /** Set when answered. */
  from: number | null;
  rtt: number;
  note: string;
  /** The answer came from the target, or was an unreachable: the trace ends after this hop. */
  final: boolean;
}

class TracerouteProcess implements CommandProcess, PingSocket {
  readonly id: number;
  private ttl: number;
  private seq = 0;
  private probe: Probe | null = null;
  private hopProbes: Probe[] = [];
  private readonly data: Uint8Array;
  private done = false;

  constructor(
    private readonly o: Options,
    private readonly ns: NetNamespace,
    private readonly sched: Scheduler,
    private readonly out: string[],
    private readonly dst: number,
    private readonly random: () => number,
  ) {
    this.id = random() & 0xffff;
    this.ttl = o.firstTtl;
    this.data = new Uint8Array(o.packetLength - 28);
    // traceroute fills its probes with '@', 'A', 'B' …
    for (let i = 0; i < this.data.length; i++) this.data[i] = 0x40 + (i & 0x3f);
  }

  /** Sends the next probe of the current hop. */
  private send(): void {
    const seq = ++this.seq;
    const probe: Probe = { ttl: this.ttl, sentAt: this.sched.now, from: null, rtt: 0, note: "", final: false };
    this.probe = probe;
    const opts = { ttl: this.ttl, pmtuDisc: this.o.dontFragment ? ("do" as const) : ("dont" as const) };
    if (this.o.method === "icmp") {
      ipOutput(this.ns, this.dst, { kind: "icmp-echo", type: "request", id: this.id, seq, data: this.data }, opts);
      return;
    }
    const srcPort = this.freePort();
    if (this.o.method === "tcp") {
      this.sendSyn(probe, srcPort, opts);
      return;
    }
    // One socket per probe, on a port of its own, as traceroute opens them.
    const sock: UdpSocket = {
      address: 0,
      port: srcPort,
      process: PROCESS,
      onDatagram: () => {},
      onError: (from, error) => this.answer(probe, from, error.type === 3 && (error.code !== 3 || from === this.dst), annotation(error)),
    };
    const full = this.ns.sockets.bindUdp(sock);
    if (full !== null && full !== "EADDRINUSE") fail(limitMessage(full), 1);
    const dstPort = this.o.fixedPort ? this.o.port : (this.o.port + seq - 1) & 0xffff;
    ipOutput(this.ns, this.dst, { kind: "udp", srcPort, dstPort, data: this.data }, opts);
  }

  /** A port no socket of the namespace holds, drawn from the ephemeral range. */
  private freePort(): number {
    for (let tries = 0; tries < 64; tries++) {
      const p = 32768 + (this.random() % 28232);
      if (this.ns.sockets.findUdp(0, p) === undefined && this.ns.sockets.findRawTcp(p) === undefined && !this.ns.sockets.portInUse(p)) return p;
    }
    return 0;
  }

  /**
   * traceroute's tcp method: a bare SYN as the captured probes are (60 bytes of IP, DF clear,
   * window 5840, MSS 1460, SACK permitted, timestamps, window scale 2); a SYN-ACK or a RST from
   * the target ends the trace.
   */
  private sendSyn(probe: Probe, srcPort: number, opts: { ttl: number; pmtuDisc: "do" | "dont" }): void {
    const sock: RawTcpSocket = {
      port: srcPort,
      process: PROCESS,
      onSegment: (from, seg) => {
        if (from === this.dst && seg.srcPort === this.o.port && (seg.flags.rst || (seg.flags.syn && seg.flags.ack))) this.answer(probe, from, true, "");
      },
      onError: (from, error) => this.answer(probe, from, error.type === 3, annotation(error)),
    };
    const full = this.ns.sockets.openRawTcp(sock);
    if (full !== null) fail(limitMessage(full), 1);
    const syn: TcpSegment = {
      kind: "tcp",
      srcPort,
      dstPort: this.o.port,
      seq: this.random() >>> 0,
      ack: 0,
      flags: { syn: true, ack: false, fin: false, rst: false, psh: false },
      window: 5840,
      options: { mss: 1460, sackPermitted: true, timestamps: { value: Math.floor(this.sched.now / 1000) >>> 0, echo: 0 }, windowScale: 2 },
      data: new Uint8Array(0),
    };
    ipOutput(this.ns, this.dst, syn, opts);
  }

  private answer(probe: Probe, from: number, final: boolean, note: string): void {
    if (probe !== this.probe || probe.from !== null) return;
    probe.from = from;
    probe.rtt = this.sched.now - probe.sentAt;
    probe.note = note;
    probe.final = final;
  }

  onReply(from: number, seq: number): void {
    if (seq === this.seq && this.probe !== null) this.answer(this.probe, from, true, "");
  }

  onError(from: number, error: IcmpError): void {
    if (error.quoted.icmpSeq === this.seq && this.probe !== null) this.answer(this.probe, from, error.type === 3, annotation(error));
  }

  onLocalError(): void {}

  /** One step: one probe sent and answered or timed out; a hop's line once its last probe is in. */
  step(): number | null {
    if (this.done) return 0;
    this.send();
    const probe = this.probe!;
    const until = this.sched.now + this.o.waitMicros;
    if (!this.sched.runUntilDone(() => probe.from !== null, until)) this.sched.runUntil(until);
    this.hopProbes.push(probe);
    if (this.hopProbes.length < this.o.queries) return null;
    this.printHop();
    const final = this.hopProbes.some((p) => p.final);
    this.hopProbes = [];
    if (final || this.ttl >= this.o.maxTtl) return this.end();
    this.ttl++;
    return null;
  }

  private printHop(): void {
    let line = String(this.ttl).padStart(2) + " ";
    let last: number | null = null;
    for (const p of this.hopProbes) {
      if (p.from === null) {
        line += " *";
        continue;
      }
      if (p.from !== last) {
        const a = formatIpv4(p.from);
        line += this.o.numeric ? ` ${a}` : ` ${a} (${a})`;
        last = p.from;
      }
      line += `  ${(p.rtt / 1000).toFixed(3)} ms${p.note}`;
    }
    this.out.push(line);
  }

  private end(): number {
    this.done = true;
    this.ns.sockets.closeProcess(PROCESS);
    if (this.o.method === "icmp") this.ns.sockets.closePing(this.id);
    return 0;
  }

  interrupt(): number {
    if (this.hopProbes.length > 0) this.printHop();
    this.end();
    return 130;
  }

  progress(): string {
    return `${this.ttl - 1} hops`;
  }
}

export const tracerouteCommand: CommandHandler = (argv, ctx) => {
  const o = parse(argv);
  const dst = resolveHost(o.target);
  if (dst === null) fail(`${o.target}: Temporary failure in name resolution\nCannot handle "host" cmdline arg \`${o.target}' on position 1 (argc ${argv.indexOf(o.target) + 1})`, 2);
  const { ns, out, net } = ctx;
  const header = `traceroute to ${o.target} (${formatIpv4(dst!)}), ${o.maxTtl} hops max, ${o.packetLength} byte packets`;
  // connect(): without a route traceroute stops before its first probe (its header, not yet ended by a newline, comes out last).
  const route = ns.routes.lookup(dst!, (r) => r.table === "local" || ns.routeUsable(r));
  if (route.route === null) fail(`connect: Network is unreachable\n${header}`, 1);
  out.push(header);
  const proc = new TracerouteProcess(o, ns, net.scheduler, out, dst!, () => net.random.int(0, 0x7fffffff));
  if (o.method === "icmp") {
    const full = ns.sockets.openPing(proc);
    if (full !== null) fail(limitMessage(full), 1);
  }
  return proc;
};
