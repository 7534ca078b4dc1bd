/**
 * One DNS question asked the way bind 9.18's tools ask it: a UDP datagram
 * from a fresh socket on an ephemeral port with a random id, an answer
 * awaited for 5 seconds, three tries in all. An ICMP port unreachable for the
 * query (nothing listens, or a REJECT on the way) counts as a refused try,
 * as the socket's error queue reports it. The datagrams go through the
 * simulated network, so every query and answer is in the trace.
 * exchangeDns asks several questions at once from one socket, as glibc's
 * stub resolver asks A and AAAA (getaddrinfo.ts).
 */
import { udpSend } from "../stack/udp.js";
import { DNS_CLASS_IN, DnsType, decodeDns, encodeDns, type DnsMessage, type DnsRecord } from "../wire/dns.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { CommandContext } from "./command-context.js";

const SECOND = 1_000_000;
export const TRY_TIMEOUT = 5 * SECOND;
export const TRIES = 3;

export type QueryOutcome = { kind: "answer"; message: DnsMessage } | { kind: "unreachable"; errors: string[] };

/** dig's EDNS: an OPT record with a 1232-byte UDP size and an 8-byte client cookie. */
function digOpt(ctx: CommandContext): DnsRecord {
  const cookie = new Uint8Array(12);
  cookie.set([0, 10, 0, 8]);
  for (let i = 4; i < 12; i++) cookie[i] = ctx.net.random.nextUint32() & 0xff;
  return { name: "", type: DnsType.OPT, class: 1232, ttl: 0, data: { kind: "raw", bytes: cookie } };
}

/** Asks `server` for `name`'s records of `type`; `edns` adds dig's OPT record. */
export function queryDns(ctx: CommandContext, server: number, name: string, type: number, edns: boolean, process: string): QueryOutcome {
  const r = exchangeDns(ctx, server, name, [type], { edns, tries: TRIES }, process);
  return r.kind === "answer" ? { kind: "answer", message: r.messages[0]! } : r;
}

export type ExchangeOutcome = { kind: "answer"; messages: DnsMessage[] } | { kind: "unreachable"; errors: string[] };

/**
 * Asks one question per type from one socket, each with its own id, and waits for every
 * answer (glibc's resolver sends A and AAAA together this way); `tries` rounds of 5 seconds.
 */
export function exchangeDns(ctx: CommandContext, server: number, name: string, types: number[], options: { edns: boolean; tries: number }, process: string): ExchangeOutcome {
  const { ns, net } = ctx;
  const sched = net.scheduler;
  const errors: string[] = [];
  for (let attempt = 0; attempt < options.tries; attempt++) {
    const ids = types.map(() => net.random.nextUint32() & 0xffff);
    let port = net.random.int(32768, 60999);
    while (ns.sockets.findUdp(0, port) !== undefined) port = port >= 60999 ? 32768 : port + 1;
    const replies: (DnsMessage | null)[] = types.map(() => null);
    let refused = false;
    const bound = ns.sockets.bindUdp({
      address: 0,
      port,
      process,
      onDatagram: (from, _fromPort, data) => {
        const m = decodeDns(data);
        if (from !== server || !m.ok || !m.value.header.response) return;
        const i = ids.indexOf(m.value.header.id);
        if (i >= 0) replies[i] = m.value;
      },
      onError: () => {
        refused = true;
      },
    });
    if (bound !== null) return { kind: "unreachable", errors: [...errors, `;; UDP setup with ${formatIpv4(server)}#53(${formatIpv4(server)}) for ${name} failed: ${bound === "EADDRINUSE" ? "address in use" : "out of resources"}.`] };
    let sent: unknown = null;
    types.forEach((type, i) => {
      const query: DnsMessage = {
        header: { id: ids[i]!, response: false, opcode: 0, authoritative: false, truncated: false, recursionDesired: true, recursionAvailable: false, authenticData: options.edns, checkingDisabled: false, rcode: 0 },
        questions: [{ name, type, class: DNS_CLASS_IN }],
        answers: [],
        authority: [],
        additional: options.edns ? [digOpt(ctx)] : [],
      };
      if (sent === null) sent = udpSend(ns, server, 53, port, encodeDns(query));
    });
    const limit = sched.now + TRY_TIMEOUT;
    const done = () => replies.every((r) => r !== null);
    if (sent === null) sched.runUntilDone(() => done() || refused, limit);
    ns.sockets.closeProcess(process);
    if (done()) return { kind: "answer", messages: replies as DnsMessage[] };
    if (sent !== null) return { kind: "unreachable", errors: [...errors, `;; UDP setup with ${formatIpv4(server)}#53(${formatIpv4(server)}) for ${name} failed: network unreachable.`] };
    if (!refused) sched.runUntil(limit);
    errors.push(`;; communications error to ${formatIpv4(server)}#53: ${refused ? "connection refused" : "timed out"}`);
  }
  return { kind: "unreachable", errors };
}
