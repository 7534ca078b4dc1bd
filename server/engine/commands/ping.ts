/**
 * ping (iputils): ICMP echo requests every interval, replies and ICMP errors
 * printed as they arrive, and the statistics block. Options: -c count,
 * -i interval, -W timeout (how long to wait for the last reply), -w deadline,
 * -t ttl, -s size, -M do|want|dont (path MTU discovery: may the kernel
 * fragment?), -q, -n. Exit codes as iputils: 0 when a reply came, 1 when
 * none did, 2 for other errors (unknown host, no route at connect()).
 */
import type { IcmpError } from "../link/payload.js";
import type { Scheduler, Timer } from "../sim/scheduler.js";
import type { NetNamespace } from "../stack/namespace.js";
import type { PingSocket } from "../stack/sockets.js";
import { ipOutput } from "../stack/ipv4.js";
import { icmpMessage } from "../stack/icmp.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandHandler, type CommandProcess } from "./command-context.js";
import { gaiMessage, getaddrinfo } from "./getaddrinfo.js";
import { MIN_FLOOD_INTERVAL, parsePingOptions as parse, type PingOptions } from "./ping-options.js";
import { pingStatistics } from "./ping-statistics.js";

const SECOND = 1_000_000;
/** Without -c a real ping runs until Ctrl-C; here it stops after this many, as if interrupted. */
const DEFAULT_COUNT = 4;
/**
 * Virtual time one step covers at least. A step normally spans one probe
 * interval (one probe per step at the default second); shorter intervals are
 * grouped so a step stays worth the engine's while.
 */
const MIN_STEP = 1_000;
/** -i 0: how long an unanswered probe holds the next one back, µs. */
const FLOOD_WAIT = Math.round(MIN_FLOOD_INTERVAL * 1_000_000);

/** The largest echo payload an IPv4 datagram can hold (65535 - 20 - 8). */
const MAX_PAYLOAD = 65507;
/**
 * Up to this payload the ICMP message itself still fits 16 bits (65535 - 8): the kernel
 * takes the send and fails it with EMSGSIZE, which ping reports as a local error.
 * Beyond it the send is refused outright and ping prints nothing for it.
 */
const MAX_REPORTED_PAYLOAD = 65527;

function formatRtt(us: number): string {
  const ms = us / 1000;
  if (us >= 100_000) return String(Math.floor(ms));
  if (us >= 10_000) return ms.toFixed(1);
  if (us >= 1_000) return ms.toFixed(2);
  return ms.toFixed(3);
}

/**
 * One ping process: its ICMP socket (the stack calls onReply/onError) and the
 * probe loop. A class rather than closures over the command's locals: a ping
 * runs per command, and the methods are shared instead of made each time.
 */
class PingRun implements PingSocket {
  readonly sentAt = new Map<number, number>();
  readonly rtts: number[] = [];
  sent = 0;
  received = 0;
  errors = 0;
  lastSend: number;
  /** iputils' "pipe": the most probes outstanding when an answer arrived. */
  pipe = 0;
  private readonly answered = new Set<number>();
  private readonly data: Uint8Array;
  /** The next probe's timer. */
  private next: Timer | null = null;

  constructor(
    readonly id: number,
    private readonly o: PingOptions,
    private readonly ns: NetNamespace,
    private readonly dst: number,
    private readonly sched: Scheduler,
    private readonly out: string[],
    private readonly count: number,
    private readonly interval: number,
    /** The MTU of the device the route leaves by, which the kernel names in EMSGSIZE errors. */
    private readonly routeMtu: number,
  ) {
    this.lastSend = sched.now;
    // Nothing larger than an IPv4 datagram is ever built: such a send fails before it reaches the stack.
    this.data = new Uint8Array(o.size <= MAX_PAYLOAD ? o.size : 0);
    for (let i = 0; i < this.data.length; i++) this.data[i] = i < 16 ? 0 : i & 0xff;
  }

  send(): void {
    const seq = ++this.sent;
    this.sentAt.set(seq, this.sched.now);
    this.lastSend = this.sched.now;
    if (this.o.size <= MAX_PAYLOAD) {
      const error = ipOutput(this.ns, this.dst, { kind: "icmp-echo", type: "request", id: this.id, seq, data: this.data }, { ttl: this.o.ttl, pmtuDisc: this.o.pmtuDisc });
      if (error?.errno === "EMSGSIZE") this.localError(seq, error.mtu);
    } else if (this.o.size <= MAX_REPORTED_PAYLOAD) {
      this.localError(seq, this.routeMtu);
    }
    if (this.sent < this.count) this.next = this.sched.after(this.interval === 0 ? FLOOD_WAIT : this.interval, () => this.send());
  }

  onReply(from: number, seq: number, ttl: number, bytes: number): void {
    const t = this.sentAt.get(seq);
    if (t === undefined || !this.settle(seq)) return;
    const rtt = this.sched.now - t;
    this.rtts.push(rtt);
    this.received++;
    if (!this.o.quiet) this.out.push(`${bytes} bytes from ${formatIpv4(from)}: icmp_seq=${seq} ttl=${ttl} time=${formatRtt(rtt)} ms${this.o.audible ? "\x07" : ""}`);
    this.answeredNow(seq);
  }

  onError(from: number, error: IcmpError): void {
    const seq = error.quoted.icmpSeq;
    if (seq === null || !this.sentAt.has(seq) || !this.settle(seq)) return;
    this.errors++;
    if (!this.o.quiet) this.out.push(`From ${formatIpv4(from)} icmp_seq=${seq} ${icmpMessage(error.type, error.code, error.nextHopMtu)}`);
    this.answeredNow(seq);
  }

  /**
   * With -i 0 iputils sends the next probe as soon as the last one is answered
   * (a reply or an error), and otherwise MIN_FLOOD_INTERVAL after it.
   */
  private answeredNow(seq: number): void {
    if (this.interval !== 0 || seq !== this.sent || this.sent >= this.count || this.next === null) return;
    this.next.cancelled = true;
    this.next = this.sched.after(0, () => this.send());
  }

  onLocalError(): void {}

  /** EMSGSIZE on the send: nothing left, one error counted. */
  private localError(seq: number, mtu: number): void {
    if (!this.settle(seq)) return;
    this.errors++;
    this.out.push(`ping: local error: message too long, mtu=${mtu}`);
  }

  /** Every probe sent and answered, or the wait for the last one over, or the deadline reached. */
  finished(linger: number, hardLimit: number): boolean {
    const now = this.sched.now;
    return (this.sent >= this.count && (this.received + this.errors >= this.count || now >= this.lastSend + linger)) || now >= hardLimit;
  }

  private settle(seq: number): boolean {
    if (this.answered.has(seq)) return false;
    this.pipe = Math.max(this.pipe, this.sent - this.answered.size);
    this.answered.add(seq);
    return true;
  }
}

/**
 * ping after its socket is connected: each step lets one probe interval of
 * virtual time pass (sends, replies, errors and timers inside it), until every
 * probe is answered, the wait for the last one ends or the deadline passes.
 * The steps give the same result as running the whole span at once: the
 * scheduler fires the same timers in the same order, a step only chooses
 * where the engine may pause.
 */
class PingProcess implements CommandProcess {
  private readonly stepSpan: number;

  constructor(
    private readonly run: PingRun,
    private readonly o: PingOptions,
    private readonly ns: NetNamespace,
    private readonly sched: Scheduler,
    private readonly out: string[],
    private readonly start: number,
    private readonly count: number,
    private readonly linger: number,
    private readonly hardLimit: number,
    interval: number,
  ) {
    this.stepSpan = Math.max(interval, MIN_STEP);
  }

  step(): number | null {
    const { run, sched, linger, hardLimit } = this;
    const until = Math.min(hardLimit, sched.now + this.stepSpan);
    if (sched.runUntilDone(() => run.finished(linger, hardLimit), until)) return this.end();
    // Nothing due before the step's end: the clock moves there, firing nothing.
    sched.runUntil(until);
    return sched.now >= hardLimit ? this.end() : null;
  }

  interrupt(): number {
    // The engine says which limit stopped it, right after the statistics.
    return this.end(true);
  }

  progress(): string {
    return `${this.run.sent} of ${this.o.count === null ? "unlimited" : this.count} packets sent`;
  }

  /** The statistics block, as iputils prints it at the end or on SIGINT; the exit code. */
  private end(interrupted = false): number {
    const { run, o, out } = this;
    this.ns.sockets.ping.delete(run.id);
    out.push(
      ...pingStatistics({
        target: o.target,
        transmitted: run.sent,
        received: run.received,
        duplicates: 0,
        errors: run.errors,
        elapsed: run.lastSend - this.start,
        rtts: run.rtts,
        pipe: run.pipe,
        intervalMs: Math.round(o.interval * 1000),
        timing: o.size >= 16,
      }),
    );
    if (!interrupted && o.count === null) out.push(`(cnlab: without -c, ping stopped after ${DEFAULT_COUNT} packets, as if interrupted with Ctrl-C)`);
    return run.received > 0 ? 0 : 1;
  }
}

export const pingCommand: CommandHandler = (argv, ctx) => {
  const o = parse(argv);
  // A name resolves through the pod's resolver (getaddrinfo.ts); iputils prints the canonical name it got back.
  const resolved = getaddrinfo(ctx, o.target, "ping");
  if (!resolved.ok) fail(`ping: ${o.target}: ${gaiMessage(resolved.error)}`, 2);
  const dst = resolved.address;
  o.target = resolved.canonical;
  const { ns, out, net } = ctx;
  const sched = net.scheduler;
  // connect(): a route must exist before anything is sent.
  const probe = ns.routes.lookup(dst, (r) => r.table === "local" || ns.routeUsable(r));
  if (probe.route === null) fail("ping: connect: Network is unreachable", 2);

  const count = o.count ?? DEFAULT_COUNT;
  const interval = Math.round(o.interval * SECOND);
  const linger = o.timeout !== null ? Math.round(o.timeout * SECOND) : 10 * SECOND;
  const start = sched.now;
  const routeMtu = ns.device(probe.route.table === "local" ? "lo" : probe.route.dev)?.mtu ?? 0;
  const run = new PingRun(net.random.int(1, 0xffff), o, ns, dst, sched, out, count, interval, routeMtu);

  out.push(...o.warnings);
  out.push(`PING ${o.target} (${formatIpv4(dst)}) ${o.size}(${o.size + 28}) bytes of data.`);
  ns.sockets.ping.set(run.id, run);
  run.send();
  const hardLimit = o.deadline !== null ? start + o.deadline * SECOND : start + (count - 1) * (interval === 0 ? FLOOD_WAIT : interval) + linger;
  return new PingProcess(run, o, ns, sched, out, start, count, linger, hardLimit, interval);
};
