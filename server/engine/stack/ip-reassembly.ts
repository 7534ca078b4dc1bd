/**
 * IPv4 reassembly (ip_defrag): fragments of a datagram wait in a queue keyed
 * by (source, destination, protocol, identification) until every byte from 0
 * to the end the last fragment (MF clear) names has arrived; the joined
 * payload is then parsed like any datagram's. A queue not complete within
 * net.ipv4.ipfrag_time (30 s) is dropped, and if its first fragment came the
 * sender gets ICMP time exceeded, code 1 (fragment reassembly time exceeded).
 *
 * The kernel reassembles before local delivery, and before netfilter when
 * conntrack is in use (nf_defrag_ipv4), at the IP layer's PREROUTING and at a
 * bridge's (br_netfilter): ipv4.ts and bridge-netfilter.ts call this at those
 * points. Each is its own user with queues of its own (ip_defrag_users), and
 * conntrack's never answer a timeout with ICMP (frag_expire_skip_icmp): the
 * datagram was not theirs to receive.
 */
import type { Frame } from "../link/frame.js";
import type { Ipv4Fragment, Ipv4Payload } from "../link/payload.js";
import type { Timer } from "../sim/scheduler.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { dropPacket } from "./drop.js";
import { parseL4 } from "./frame-parser.js";
import { sendIcmpError } from "./icmp.js";
import type { NetNamespace } from "./namespace.js";

/** net.ipv4.ipfrag_time, in µs. */
export const IPFRAG_TIME = 30_000_000;
/** The largest datagram IPv4 can describe: a fragment reaching past it is bogus. */
const MAX_DATAGRAM = 65535;
/** net.ipv4.ipfrag_high_thresh: past this many bytes waiting in a namespace, new fragments are dropped. */
export const IPFRAG_HIGH_THRESH = 4 * 1024 * 1024;

/** Who gathers the fragments: ip_local_deliver, nf_defrag at PREROUTING, or nf_defrag at a bridge's PREROUTING. */
export type DefragUser = "local" | "conntrack" | "bridge";

export interface FragmentQueue {
  readonly pieces: { offset: number; data: Uint8Array }[];
  /** The longest fragment's IP length (IPCB's frag_max_size): a bridge fragments the datagram again to it. */
  maxSize: number;
  /** The payload's length, known once the fragment with MF clear has come. */
  total: number | null;
  /** The offset-0 fragment: the one an ICMP error can quote. */
  first: Ipv4Payload | null;
  readonly timer: Timer;
}

type FragmentPacket = Ipv4Payload & { l4: Ipv4Fragment };

export function isFragment(p: Ipv4Payload): p is FragmentPacket {
  return p.l4.kind === "fragment";
}

const keyOf = (user: DefragUser, p: Ipv4Payload, f: Ipv4Fragment) => `${user}|${p.src}|${p.dst}|${f.protocol}|${p.id}`;

/** A datagram joined again, with the length of its longest fragment. */
export interface Reassembled {
  p: Ipv4Payload;
  fragMaxSize: number;
}

/** Queues a fragment; returns the whole datagram when this one completed it, else null. */
export function reassemble(ns: NetNamespace, device: string, frame: Frame, p: FragmentPacket, user: DefragUser = "local"): Reassembled | null {
  const f = p.l4;
  const where = `${formatIpv4(p.src)} > ${formatIpv4(p.dst)} id ${p.id}`;
  if (20 + f.offset + f.data.length > MAX_DATAGRAM || (f.more && f.data.length % 8 !== 0)) {
    dropPacket(ns, { device, packetId: frame.packetId, layers: frame.layers, reason: "bad-frame", summary: `bogus fragment of ${where} dropped`, detail: `offset ${f.offset}, ${f.data.length} bytes, MF ${f.more ? 1 : 0}` });
    return null;
  }
  if (ns.fragmentBytes + f.data.length > IPFRAG_HIGH_THRESH) {
    dropPacket(ns, { device, packetId: frame.packetId, layers: frame.layers, reason: "queue-full", summary: `fragment of ${where} dropped: ${ns.fragmentBytes} bytes already wait for reassembly`, detail: `ipfrag_high_thresh ${IPFRAG_HIGH_THRESH}` });
    return null;
  }
  const key = keyOf(user, p, f);
  let q = ns.fragments.get(key);
  if (q === undefined) {
    const timer = ns.ctx.scheduler.after(IPFRAG_TIME, () => expire(ns, key, device, frame.packetId, where, user));
    q = { pieces: [], maxSize: 0, total: null, first: null, timer };
    ns.fragments.set(key, q);
  }
  // A duplicate (same offset) adds nothing; Linux drops it too.
  if (!q.pieces.some((x) => x.offset === f.offset)) {
    q.pieces.push({ offset: f.offset, data: f.data });
    q.maxSize = Math.max(q.maxSize, 20 + f.data.length);
    ns.fragmentBytes += f.data.length;
  }
  const end = f.offset + f.data.length;
  const total = f.more ? q.total : end;
  // Fragments that disagree on where the datagram ends (two different last ones, or data past the
  // last one's end) make the whole queue corrupt: ip_frag_queue discards it.
  const past = total === null ? undefined : q.pieces.find((x) => x.offset + x.data.length > total);
  const conflict =
    !f.more && q.total !== null && q.total !== end
      ? `two last fragments: the datagram ends at byte ${q.total} and at byte ${end}`
      : past !== undefined
        ? `a fragment holds bytes up to ${past.offset + past.data.length}, the datagram ends at byte ${total}`
        : null;
  if (conflict !== null) {
    forget(ns, key, q);
    dropPacket(ns, { device, packetId: frame.packetId, layers: frame.layers, reason: "bad-frame", summary: `fragments of ${where} disagree on the datagram's length: all dropped`, detail: conflict });
    return null;
  }
  q.total = total;
  if (f.offset === 0) q.first = p;
  if (q.total === null || q.first === null) return null;

  q.pieces.sort((a, b) => a.offset - b.offset);
  let covered = 0;
  for (const x of q.pieces) {
    if (x.offset > covered) return null;
    covered = Math.max(covered, x.offset + x.data.length);
  }
  if (covered < q.total) return null;

  forget(ns, key, q);
  const joined = new Uint8Array(q.total);
  for (const x of q.pieces) joined.set(x.data, x.offset);
  const l4 = parseL4(f.protocol, p.src, p.dst, joined);
  if (!l4.ok) {
    dropPacket(ns, { device, packetId: frame.packetId, layers: frame.layers, reason: "bad-frame", summary: `reassembled datagram ${where} does not parse: ${l4.error}`, detail: l4.error });
    return null;
  }
  const first = q.first;
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "ip-reassemble",
    host: ns.host,
    namespace: ns.name,
    device,
    packetId: frame.packetId,
    layers: frame.layers,
    summary: `datagram ${where} reassembled from ${q.pieces.length} fragments: ${20 + q.total} bytes`,
    length: 20 + q.total,
    fragments: q.pieces.length,
  });
  // The whole datagram carries the first fragment's header, as ip_frag_reasm builds it.
  return { p: { kind: "ipv4", src: first.src, dst: first.dst, ttl: first.ttl, tos: first.tos, id: first.id, dontFragment: first.dontFragment, l4: l4.value }, fragMaxSize: q.maxSize };
}

/** Takes a queue out: its timer off, its bytes given back. */
function forget(ns: NetNamespace, key: string, q: FragmentQueue): void {
  ns.fragments.delete(key);
  q.timer.cancelled = true;
  for (const x of q.pieces) ns.fragmentBytes -= x.data.length;
}

function expire(ns: NetNamespace, key: string, device: string, packetId: number, where: string, user: DefragUser): void {
  const q = ns.fragments.get(key);
  if (q === undefined) return;
  forget(ns, key, q);
  const received = q.pieces.reduce((n, x) => n + x.data.length, 0);
  dropPacket(ns, {
    device,
    packetId,
    layers: null,
    reason: "reassembly-timeout",
    summary: `fragments of ${where} dropped: the datagram was not complete after ${IPFRAG_TIME / 1_000_000} s`,
    detail: `${q.pieces.length} fragments, ${received} of ${q.total === null ? "?" : q.total} bytes`,
  });
  if (q.first !== null && user === "local") sendIcmpError(ns, q.first, device, 11, 1, 0);
}
