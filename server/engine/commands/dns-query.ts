/**
 * One DNS question asked the way bind 9.18's tools ask it: a UDP datagram
 * from a fresh socket on an ephemeral port with a random id, an answer
 * awaited for 5 seconds, three tries in all. An ICMP port unreachable for the
 * query (nothing listens, or a REJECT on the way) counts as a refused try,
 * as the socket's error queue reports it. The datagrams go through the
 * simulated network, so every query and answer is in the trace.
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
  const { ns, net } = ctx;
  const sched = net.scheduler;
  const errors: string[] = [];
  for (let attempt = 0; attempt < TRIES; attempt++) {
    const id = net.random.nextUint32() & 0xffff;
    let port = net.random.int(32768, 60999);
    while (ns.sockets.findUdp(0, port) !== undefined) port = port >= 60999 ? 32768 : port + 1;
    let reply: DnsMessage | null = null;
    let refused = false;
    const bound = ns.sockets.bindUdp({
      address: 0,
      port,
      process,
      onDatagram: (from, _fromPort, data) => {
        const m = decodeDns(data);
        if (from === server && m.ok && m.value.header.response && m.value.header.id === id) reply = m.value;
      },
      onError: () => {
        refused = true;
      },
    });
    if (bound !== null) return { kind: "unreachable", errors: [...errors, `;; UDP setup with ${formatIpv4(server)}#53(${formatIpv4(server)}) for ${name} failed: ${bound === "EADDRINUSE" ? "address in use" : "out of resources"}.`] };
    const query: DnsMessage = {
      header: { id, response: false, opcode: 0, authoritative: false, truncated: false, recursionDesired: true, recursionAvailable: false, authenticData: edns, checkingDisabled: false, rcode: 0 },
      questions: [{ name, type, class: DNS_CLASS_IN }],
      answers: [],
      authority: [],
      additional: edns ? [digOpt(ctx)] : [],
    };
    const sent = udpSend(ns, server, 53, port, encodeDns(query));
    const limit = sched.now + TRY_TIMEOUT;
    if (sent === null) sched.runUntilDone(() => reply !== null || refused, limit);
    ns.sockets.closeProcess(process);
    if (reply !== null) return { kind: "answer", message: reply };
    if (sent !== null) return { kind: "unreachable", errors: [...errors, `;; UDP setup with ${formatIpv4(server)}#53(${formatIpv4(server)}) for ${name} failed: network unreachable.`] };
    if (!refused) sched.runUntil(limit);
    errors.push(`;; communications error to ${formatIpv4(server)}#53: ${refused ? "connection refused" : "timed out"}`);
  }
  return { kind: "unreachable", errors };
}
