/**
 * ping (iputils): ICMP echo requests every interval, replies and ICMP errors
 * printed as they arrive, and the statistics block. Options: -c count,
 * -i interval, -W timeout (how long to wait for the last reply), -w deadline,
 * -t ttl, -s size, -q, -n. Exit codes as iputils: 0 when a reply came, 1 when
 * none did, 2 for other errors (unknown host, no route at connect()).
 */
import type { IcmpError } from "../link/payload.js";
import { ipOutput } from "../stack/ipv4.js";
import { icmpMessage } from "../stack/icmp.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandHandler } from "./command-context.js";
import { resolveHost } from "./resolve-host.js";

const SECOND = 1_000_000;
/** Without -c a real ping runs until Ctrl-C; here it stops after this many, as if interrupted. */
const DEFAULT_COUNT = 4;
const MAX_COUNT = 1000;

interface PingOptions {
  count: number | null;
  interval: number;
  timeout: number | null;
  deadline: number | null;
  ttl: number;
  size: number;
  quiet: boolean;
  target: string;
}

function parseNumber(value: string | undefined, min: number, max: number, float = false): number {
  if (value === undefined) fail("ping: option requires an argument\nUsage: ping [options] <destination>", 2);
  const n = float ? Number(value) : /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n)) fail(`ping: invalid argument: '${value}'`);
  if (n < min || n > max) fail(`ping: invalid argument: '${value}': out of range: ${min} <= value <= ${max === Number.MAX_SAFE_INTEGER ? "9223372036854775807" : max}`);
  return n;
}

function parse(argv: string[]): PingOptions {
  const o: PingOptions = { count: null, interval: 1, timeout: null, deadline: null, ttl: 64, size: 56, quiet: false, target: "" };
  const targets: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a === "-") {
      targets.push(a);
      continue;
    }
    const flag = a.slice(1, 2);
    const attached = a.length > 2 ? a.slice(2) : undefined;
    const value = () => attached ?? argv[++i];
    switch (flag) {
      case "c":
        o.count = parseNumber(value(), 1, Number.MAX_SAFE_INTEGER);
        break;
      case "i":
        o.interval = parseNumber(value(), 0.002, 2_000_000, true);
        break;
      case "W":
        o.timeout = parseNumber(value(), 0, 2_147_483, true);
        break;
      case "w":
        o.deadline = parseNumber(value(), 0, 2_147_483);
        break;
      case "t":
        o.ttl = parseNumber(value(), 0, 255);
        break;
      case "s":
        o.size = parseNumber(value(), 0, 1472 + 100);
        break;
      case "q":
        o.quiet = true;
        break;
      case "n":
        break;
      default:
        fail(`ping: invalid option -- '${flag}'\nUsage: ping [options] <destination>`, 2);
    }
  }
  if (targets.length === 0) fail("ping: usage error: Destination address required");
  o.target = targets[targets.length - 1]!;
  return o;
}

function formatRtt(us: number): string {
  const ms = us / 1000;
  if (us >= 100_000) return String(Math.floor(ms));
  if (us >= 10_000) return ms.toFixed(1);
  if (us >= 1_000) return ms.toFixed(2);
  return ms.toFixed(3);
}

export const pingCommand: CommandHandler = (argv, ctx) => {
  const o = parse(argv);
  const dst = resolveHost(o.target);
  if (dst === null) fail(`ping: ${o.target}: Name or service not known`, 2);
  const { ns, out, net } = ctx;
  const sched = net.scheduler;
  // connect(): a route must exist before anything is sent.
  const probe = ns.routes.lookup(dst, (r) => r.table === "local" || ns.routeUsable(r));
  if (probe.route === null) fail("ping: connect: Network is unreachable", 2);

  const count = Math.min(o.count ?? DEFAULT_COUNT, MAX_COUNT);
  const interval = Math.round(o.interval * SECOND);
  const linger = o.timeout !== null ? Math.round(o.timeout * SECOND) : 10 * SECOND;
  const id = net.random.int(1, 0xffff);
  const start = sched.now;
  const sentAt = new Map<number, number>();
  const rtts: number[] = [];
  let sent = 0;
  let received = 0;
  let errors = 0;
  let lastSend = start;
  /** iputils' "pipe": the most probes outstanding when an answer arrived. */
  let pipe = 0;
  const answered = new Set<number>();

  out.push(`PING ${o.target} (${formatIpv4(dst)}) ${o.size}(${o.size + 28}) bytes of data.`);
  const settle = (seq: number) => {
    if (answered.has(seq)) return false;
    pipe = Math.max(pipe, sent - answered.size);
    answered.add(seq);
    return true;
  };
  ns.sockets.ping.set(id, {
    id,
    onReply: (from, seq, ttl, bytes) => {
      const t = sentAt.get(seq);
      if (t === undefined || !settle(seq)) return;
      const rtt = sched.now - t;
      rtts.push(rtt);
      received++;
      if (!o.quiet) out.push(`${bytes} bytes from ${formatIpv4(from)}: icmp_seq=${seq} ttl=${ttl} time=${formatRtt(rtt)} ms`);
    },
    onError: (from, error: IcmpError) => {
      const seq = error.quoted.icmpSeq;
      if (seq === null || !sentAt.has(seq) || !settle(seq)) return;
      errors++;
      if (!o.quiet) out.push(`From ${formatIpv4(from)} icmp_seq=${seq} ${icmpMessage(error.type, error.code, error.nextHopMtu)}`);
    },
    onLocalError: () => {},
  });

  const data = new Uint8Array(o.size);
  for (let i = 0; i < data.length; i++) data[i] = i < 16 ? 0 : i & 0xff;
  const send = () => {
    const seq = ++sent;
    sentAt.set(seq, sched.now);
    lastSend = sched.now;
    ipOutput(ns, dst, { kind: "icmp-echo", type: "request", id, seq, data }, { ttl: o.ttl });
    if (sent < count) sched.after(interval, send);
  };
  send();
  const hardLimit = o.deadline !== null ? start + o.deadline * SECOND : start + (count - 1) * interval + linger;
  const done = () => (sent >= count && received + errors >= count) || (sent >= count && sched.now >= lastSend + linger) || sched.now >= hardLimit;
  sched.runUntilDone(done, hardLimit);
  if (!done()) sched.runUntil(hardLimit);
  ns.sockets.ping.delete(id);

  const loss = sent === 0 ? 0 : Math.round(((sent - received) * 100) / sent);
  out.push("");
  out.push(`--- ${o.target} ping statistics ---`);
  const elapsed = Math.floor((lastSend - start) / 1000);
  out.push(`${sent} packets transmitted, ${received} received,${errors > 0 ? ` +${errors} errors,` : ""} ${loss}% packet loss, time ${elapsed}ms`);
  const parts: string[] = [];
  if (received > 0) {
    const ms = rtts.map((r) => r / 1000);
    const min = Math.min(...ms);
    const max = Math.max(...ms);
    const avg = ms.reduce((a, b) => a + b, 0) / ms.length;
    const mdev = Math.sqrt(Math.max(0, ms.reduce((a, b) => a + b * b, 0) / ms.length - avg * avg));
    parts.push(`rtt min/avg/max/mdev = ${min.toFixed(3)}/${avg.toFixed(3)}/${max.toFixed(3)}/${mdev.toFixed(3)} ms`);
  }
  if (pipe > 1) parts.push(`pipe ${pipe}`);
  out.push(parts.join(", "));
  if (o.count === null) out.push(`(cnlab: without -c, ping stopped after ${DEFAULT_COUNT} packets, as if interrupted with Ctrl-C)`);
  return received > 0 ? 0 : 1;
};
