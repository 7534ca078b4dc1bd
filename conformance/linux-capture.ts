/**
 * Reads what `tcpdump -i any -w` wrote in one namespace: a classic pcap of
 * LINUX_SLL2 records, each with the interface index, the packet type (the
 * direction: outgoing, or in to this host, broadcast, multicast, another
 * host) and the link-layer source address. One capture per namespace gives
 * every interface of it, both directions, in the order the kernel saw them;
 * per-interface captures would each need two processes (`-Q in`, `-Q out`)
 * to keep the direction and would lose the order between interfaces. What
 * the cooked header does not keep is the destination MAC, so it is not
 * compared; the packet type stands in for it on frames in. `-i any` is not
 * promiscuous: it shows what `tcpdump -p` on each device would.
 */
import type { CapturedFrame } from "./captured-frame.js";

const LINKTYPE_LINUX_SLL2 = 276;
const ARPHRD_NONE = 65534;
const ARPHRD_TUNNEL = 768;
const PACKET_TYPES: Record<number, CapturedFrame["to"]> = { 0: "host", 1: "broadcast", 2: "multicast", 3: "otherhost" };
const PACKET_OUTGOING = 4;

export function readSll2Pcap(file: Uint8Array, where: { host: string; namespace: string }, ifnames: Map<number, string>): CapturedFrame[] {
  if (file.length < 24) return [];
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const magic = view.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!little && view.getUint32(0, false) !== 0xa1b2c3d4 && view.getUint32(0, false) !== 0xa1b23c4d) throw new Error("not a pcap file");
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  if (linkType !== LINKTYPE_LINUX_SLL2) throw new Error(`expected LINUX_SLL2 captures, got link type ${linkType}`);
  const frames: CapturedFrame[] = [];
  for (let at = 24; at + 16 <= file.length; ) {
    const caplen = view.getUint32(at + 8, little);
    const data = file.subarray(at + 16, at + 16 + caplen);
    at += 16 + caplen;
    if (data.length < 20) continue;
    const protocol = (data[0]! << 8) | data[1]!;
    const ifindex = new DataView(data.buffer, data.byteOffset).getUint32(4, false);
    const hatype = (data[8]! << 8) | data[9]!;
    const pkttype = data[10]!;
    const payload = data.subarray(20);
    const layer3 = hatype === ARPHRD_NONE || hatype === ARPHRD_TUNNEL;
    let bytes: Uint8Array;
    if (layer3) bytes = payload.slice();
    else {
      // The Ethernet header rebuilt: destination unknown (zeros), source as captured, the EtherType.
      bytes = new Uint8Array(14 + payload.length);
      bytes.set(data.subarray(12, 18), 6);
      bytes[12] = protocol >> 8;
      bytes[13] = protocol & 0xff;
      bytes.set(payload, 14);
    }
    const out = pkttype === PACKET_OUTGOING;
    frames.push({ ...where, device: ifnames.get(ifindex) ?? `if${ifindex}`, direction: out ? "out" : "in", to: out ? null : (PACKET_TYPES[pkttype] ?? null), bytes, layer3 });
  }
  return frames;
}
