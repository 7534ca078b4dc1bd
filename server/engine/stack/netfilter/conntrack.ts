/**
 * Connection tracking: one entry per flow with its original tuple and its
 * reply tuple (what replies look like once NAT has rewritten the original),
 * the flow's state and its timeout, as nf_conntrack keeps them. NAT decisions
 * are taken on a flow's first packet and then applied to every later packet
 * of both directions through the tuples, without walking the nat table again.
 */
import type { Ipv4Payload } from "../../link/payload.js";
import { protocolOf } from "./rule.js";

export interface Tuple {
  src: number;
  dst: number;
  /** TCP/UDP ports; for ICMP echo both hold the echo id. */
  sport: number;
  dport: number;
}

export type CtTcpState = "SYN_SENT" | "SYN_RECV" | "ESTABLISHED" | "FIN_WAIT" | "CLOSE_WAIT" | "LAST_ACK" | "TIME_WAIT" | "CLOSE";

export interface ConntrackEntry {
  id: number;
  protocol: number;
  orig: Tuple;
  reply: Tuple;
  seenReply: boolean;
  assured: boolean;
  tcpState: CtTcpState | null;
  /** Virtual µs when the entry expires unless refreshed. */
  expires: number;
  /** UDP: virtual µs after which traffic both ways makes the flow a stream (stream_ts, two seconds after its first packet). */
  streamAt: number;
}

export type CtDirection = "orig" | "reply";

export interface CtMatch {
  entry: ConntrackEntry;
  direction: CtDirection;
  isNew: boolean;
}

const SECOND = 1_000_000;
/** How long a UDP flow must last before traffic both ways makes it a stream (the kernel's stream_ts, 2 * HZ). */
const UDP_STREAM_AFTER = 2 * SECOND;
/** nf_conntrack defaults (net.netfilter.nf_conntrack_*_timeout*). */
const TIMEOUT = {
  icmp: 30 * SECOND,
  udp: 30 * SECOND,
  udpStream: 120 * SECOND,
  tcp: {
    SYN_SENT: 120 * SECOND,
    SYN_RECV: 60 * SECOND,
    ESTABLISHED: 432_000 * SECOND,
    FIN_WAIT: 120 * SECOND,
    CLOSE_WAIT: 60 * SECOND,
    LAST_ACK: 30 * SECOND,
    TIME_WAIT: 120 * SECOND,
    CLOSE: 10 * SECOND,
  } satisfies Record<CtTcpState, number>,
};

export function tupleOf(p: Ipv4Payload): Tuple | null {
  const l4 = p.l4;
  switch (l4.kind) {
    case "tcp":
    case "udp":
      return { src: p.src, dst: p.dst, sport: l4.srcPort, dport: l4.dstPort };
    case "icmp-echo":
      return { src: p.src, dst: p.dst, sport: l4.id, dport: l4.id };
    case "icmp-error":
    case "ipip":
    case "fragment":
      return null;
  }
}

interface Found {
  entry: ConntrackEntry;
  direction: CtDirection;
}

/** The protocols tupleOf tracks (ICMP echo, TCP, UDP), as two bits of a key. */
const PROTOCOL_BITS: Record<number, number> = { 1: 0, 6: 1, 17: 2 };

/**
 * A tuple's key in two numbers, each exact in a double: the protocol, source
 * address and port; the destination address and port. A string of all five
 * was built and hashed for every tracked packet, twice a bridged round trip.
 */
function sourceKey(protocol: number, t: Tuple): number {
  const bits = PROTOCOL_BITS[protocol];
  if (bits === undefined) throw new Error(`conntrack: protocol ${protocol} has no tuples`);
  return (t.src * 0x10000 + t.sport) * 4 + bits;
}

const destinationKey = (t: Tuple): number => t.dst * 0x10000 + t.dport;

/** Tuples to what they belong to, by the two halves of their key. */
class TupleMap {
  private readonly bySource = new Map<number, Map<number, Found>>();

  get(protocol: number, t: Tuple): Found | undefined {
    return this.bySource.get(sourceKey(protocol, t))?.get(destinationKey(t));
  }

  set(protocol: number, t: Tuple, found: Found): void {
    const k = sourceKey(protocol, t);
    let inner = this.bySource.get(k);
    if (inner === undefined) this.bySource.set(k, (inner = new Map()));
    inner.set(destinationKey(t), found);
  }

  delete(protocol: number, t: Tuple): void {
    const k = sourceKey(protocol, t);
    const inner = this.bySource.get(k);
    if (inner === undefined) return;
    inner.delete(destinationKey(t));
    if (inner.size === 0) this.bySource.delete(k);
  }

  *values(): IterableIterator<Found> {
    for (const inner of this.bySource.values()) yield* inner.values();
  }
}

export class Conntrack {
  private readonly byTuple = new TupleMap();
  private nextId = 1;

  /** Finds the flow a packet belongs to, creating it (unconfirmed: isNew) when none does. Null for untracked packets (ICMP errors). */
  lookup(p: Ipv4Payload, now: number): CtMatch | null {
    const t = tupleOf(p);
    if (t === null) return null;
    const protocol = protocolOf(p);
    const found = this.byTuple.get(protocol, t);
    if (found !== undefined && found.entry.expires > now) return { entry: found.entry, direction: found.direction, isNew: false };
    if (found !== undefined) this.remove(found.entry);
    const replyType = p.l4.kind === "icmp-echo" && p.l4.type === "reply";
    if (replyType) return null; // an echo reply without a request is not a new flow
    const entry: ConntrackEntry = {
      id: this.nextId++,
      protocol,
      orig: t,
      reply: { src: t.dst, dst: t.src, sport: t.dport, dport: t.sport },
      seenReply: false,
      assured: false,
      tcpState: protocol === 6 ? "SYN_SENT" : null,
      expires: now + (protocol === 1 ? TIMEOUT.icmp : protocol === 17 ? TIMEOUT.udp : TIMEOUT.tcp.SYN_SENT),
      streamAt: now + UDP_STREAM_AFTER,
    };
    return { entry, direction: "orig", isNew: true };
  }

  /** Confirms a new flow (its first packet left the hooks) with its final reply tuple. */
  confirm(entry: ConntrackEntry): void {
    this.byTuple.set(entry.protocol, entry.orig, { entry, direction: "orig" });
    this.byTuple.set(entry.protocol, entry.reply, { entry, direction: "reply" });
  }

  remove(entry: ConntrackEntry): void {
    this.byTuple.delete(entry.protocol, entry.orig);
    this.byTuple.delete(entry.protocol, entry.reply);
  }

  /** Whether a reply tuple is free, so MASQUERADE can keep the source port. */
  replyTaken(protocol: number, reply: Tuple): boolean {
    return this.byTuple.get(protocol, reply) !== undefined;
  }

  /** Advances state and timeout for a packet of a known flow. */
  update(m: CtMatch, p: Ipv4Payload, now: number): void {
    const e = m.entry;
    if (m.direction === "reply" && !e.seenReply) e.seenReply = true;
    const l4 = p.l4;
    if (l4.kind === "tcp") {
      const f = l4.flags;
      let s = e.tcpState ?? "SYN_SENT";
      if (f.rst) s = "CLOSE";
      else if (f.syn && f.ack && m.direction === "reply") s = "SYN_RECV";
      else if (f.fin) s = s === "ESTABLISHED" || s === "SYN_RECV" ? "FIN_WAIT" : s === "FIN_WAIT" || s === "CLOSE_WAIT" ? "LAST_ACK" : s;
      else if (f.ack && s === "SYN_RECV" && m.direction === "orig") {
        s = "ESTABLISHED";
        e.assured = true;
      } else if (f.ack && s === "LAST_ACK") s = "TIME_WAIT";
      e.tcpState = s;
      e.expires = now + TIMEOUT.tcp[s];
    } else if (l4.kind === "udp") {
      // nf_conntrack_udp_packet: a flow with traffic both ways becomes a stream (ASSURED, the longer
      // timeout) only once a packet comes more than two seconds after its first one; a single query
      // and answer (DNS, one ping through flanneld) keeps the unreplied timeout and no ASSURED.
      if (e.seenReply && now > e.streamAt) {
        e.assured = true;
        e.expires = now + TIMEOUT.udpStream;
      } else e.expires = now + TIMEOUT.udp;
    } else {
      e.expires = now + TIMEOUT.icmp;
    }
  }

  /** Live entries, newest first (as conntrack -L happens to list a small table). */
  list(now: number): ConntrackEntry[] {
    const seen = new Set<ConntrackEntry>();
    for (const { entry } of this.byTuple.values()) if (entry.expires > now) seen.add(entry);
    return [...seen].sort((a, b) => b.id - a.id);
  }
}
