/**
 * ip_do_fragment: a datagram cut into pieces of the largest multiple of 8
 * bytes that fits the MTU with a 20-byte header, each its own packet with the
 * datagram's id, MF set on all but the last, DF clear. Cutting a fragment
 * again keeps its offset and its MF on the last piece. Used by the IP layer
 * for what it sends or forwards, and by br_netfilter for a datagram it
 * reassembled for conntrack and bridges on (br_nf_dev_queue_xmit).
 *
 * It does not decide whether a packet may be fragmented (DF, the socket's
 * IP_MTU_DISCOVER): its callers do.
 */
import { l4Protocol, type Ipv4Payload, type L4 } from "../link/payload.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { NetNamespace } from "./namespace.js";

/**
 * The pieces of `p` for a device of `mtu`, with the ip-fragment event that
 * says so. `fragMaxSize`: the datagram was reassembled for conntrack from
 * fragments of up to that size, which is then the limit when smaller than the
 * MTU (ip_do_fragment), so it leaves in the pieces it came in.
 */
export function ipFragments(ns: NetNamespace, p: Ipv4Payload, device: string, mtu: number, packetId: number, fragMaxSize = 0): Ipv4Payload[] {
  const fromFragments = fragMaxSize > 0 && fragMaxSize < mtu;
  if (fromFragments) mtu = fragMaxSize;
  const from = p.l4.kind === "fragment" ? p.l4 : null;
  const data = from !== null ? from.data : ns.ctx.encodePacket(p).subarray(20);
  const protocol = l4Protocol(p.l4);
  const step = (mtu - 20) & ~7;
  const count = Math.ceil(data.length / step);
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "ip-fragment",
    host: ns.host,
    namespace: ns.name,
    device,
    packetId,
    layers: null,
    summary: fromFragments
      ? `${20 + data.length}-byte packet ${formatIpv4(p.src)} > ${formatIpv4(p.dst)}, reassembled from fragments of up to ${mtu} bytes, leaves ${device} as ${count} fragments of up to ${step} bytes of data again`
      : `${20 + data.length}-byte packet ${formatIpv4(p.src)} > ${formatIpv4(p.dst)} does not fit ${device}'s MTU ${mtu}: sent as ${count} fragments of up to ${step} bytes of data`,
    outDevice: device,
    mtu,
    length: 20 + data.length,
    fragments: count,
  });
  const pieces: Ipv4Payload[] = [];
  for (let off = 0; off < data.length; off += step) {
    const more = off + step < data.length || (from?.more ?? false);
    const l4: L4 = { kind: "fragment", protocol, offset: (from?.offset ?? 0) + off, more, data: data.subarray(off, off + step) };
    pieces.push({ ...p, dontFragment: false, l4 });
  }
  return pieces;
}
