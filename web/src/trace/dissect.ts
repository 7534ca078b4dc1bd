/**
 * The page's own small dissector, as Wireshark's packet details pane: a
 * frame's bytes (GET /api/sessions/:id/frames/:seq) cut into layers, each
 * field with the byte range it was read from, so the hex view can light the
 * bytes of the field the student selects. Ethernet, ARP, IPv4 (IPIP inside),
 * ICMP (with the datagram an error quotes), TCP, UDP, VXLAN with its inner
 * frame, flannel's UDP encapsulation (a bare IPv4 packet in UDP 8285) and
 * DNS on UDP port 53 (header, questions, A answers).
 *
 * Pure: no DOM, so the tests run it in node. It never throws: bytes that end
 * too soon become a `malformed` layer saying what was missing.
 */

export type LinkType = "ethernet" | "raw";

export type LayerKind = "ethernet" | "arp" | "ipv4" | "icmp" | "tcp" | "udp" | "vxlan" | "dns" | "payload" | "malformed";

export interface Field {
  name: string;
  value: string;
  /** Byte range [start, end) in the whole frame. */
  start: number;
  end: number;
}

export interface Layer {
  kind: LayerKind;
  /** One line, as Wireshark titles a layer: "Internet Protocol Version 4, Src: …, Dst: …". */
  title: string;
  start: number;
  end: number;
  fields: Field[];
}

/** UDP ports whose payload we decode further: the kernel's VXLAN port, flannel's VXLAN and UDP backends. */
const VXLAN_PORTS = new Set([4789, 8472]);
const FLANNEL_UDP_PORT = 8285;

const ETHER_TYPES: Record<number, string> = { 0x0800: "IPv4", 0x0806: "ARP", 0x86dd: "IPv6", 0x8100: "802.1Q" };
const IP_PROTOCOLS: Record<number, string> = { 1: "ICMP", 4: "IPIP", 6: "TCP", 17: "UDP" };
const ICMP_TYPES: Record<number, string> = {
  0: "Echo (ping) reply",
  3: "Destination unreachable",
  5: "Redirect",
  8: "Echo (ping) request",
  11: "Time exceeded",
};

export function dissect(bytes: Uint8Array, linkType: LinkType): Layer[] {
  const layers: Layer[] = [];
  if (linkType === "ethernet") ethernet(bytes, 0, bytes.length, layers);
  else ipv4(bytes, 0, bytes.length, layers);
  return layers;
}

/** The field whose range holds `offset`, innermost layer first: what a click on a hex byte selects. */
export function fieldAt(layers: readonly Layer[], offset: number): { layer: number; field: number } | null {
  for (let l = layers.length - 1; l >= 0; l--) {
    const fields = layers[l]!.fields;
    for (let f = 0; f < fields.length; f++) {
      const field = fields[f]!;
      if (offset >= field.start && offset < field.end) return { layer: l, field: f };
    }
  }
  return null;
}

function ethernet(b: Uint8Array, at: number, end: number, out: Layer[]): void {
  if (end - at < 14) return malformed(out, at, end, "Ethernet header needs 14 bytes");
  const type = u16(b, at + 12);
  const dst = mac(b, at);
  const src = mac(b, at + 6);
  out.push({
    kind: "ethernet",
    title: `Ethernet II, Src: ${src}, Dst: ${dst}`,
    start: at,
    end,
    fields: [
      { name: "Destination", value: dst, start: at, end: at + 6 },
      { name: "Source", value: src, start: at + 6, end: at + 12 },
      { name: "Type", value: `${ETHER_TYPES[type] ?? "unknown"} (0x${hex(type, 4)})`, start: at + 12, end: at + 14 },
    ],
  });
  if (type === 0x0806) arp(b, at + 14, end, out);
  else if (type === 0x0800) ipv4(b, at + 14, end, out);
  else payload(out, at + 14, end, "Data");
}

function arp(b: Uint8Array, at: number, end: number, out: Layer[]): void {
  if (end - at < 28) return malformed(out, at, end, "ARP for IPv4 over Ethernet needs 28 bytes");
  const op = u16(b, at + 6);
  const opName = op === 1 ? "request" : op === 2 ? "reply" : `opcode ${op}`;
  out.push({
    kind: "arp",
    title: `Address Resolution Protocol (${opName})`,
    start: at,
    end: at + 28,
    fields: [
      { name: "Hardware type", value: u16(b, at) === 1 ? "Ethernet (1)" : String(u16(b, at)), start: at, end: at + 2 },
      { name: "Protocol type", value: `IPv4 (0x${hex(u16(b, at + 2), 4)})`, start: at + 2, end: at + 4 },
      { name: "Hardware size", value: String(b[at + 4]), start: at + 4, end: at + 5 },
      { name: "Protocol size", value: String(b[at + 5]), start: at + 5, end: at + 6 },
      { name: "Opcode", value: `${opName} (${op})`, start: at + 6, end: at + 8 },
      { name: "Sender MAC address", value: mac(b, at + 8), start: at + 8, end: at + 14 },
      { name: "Sender IP address", value: ip(b, at + 14), start: at + 14, end: at + 18 },
      { name: "Target MAC address", value: mac(b, at + 18), start: at + 18, end: at + 24 },
      { name: "Target IP address", value: ip(b, at + 24), start: at + 24, end: at + 28 },
    ],
  });
  // Ethernet pads a 42-byte ARP frame to 60 on real wires; the simulator may too.
  if (end > at + 28) payload(out, at + 28, end, "Padding");
}

function ipv4(b: Uint8Array, at: number, end: number, out: Layer[]): void {
  if (end - at < 20) return malformed(out, at, end, "IPv4 header needs 20 bytes");
  const version = b[at]! >> 4;
  const ihl = (b[at]! & 0x0f) * 4;
  if (version !== 4 || ihl < 20 || end - at < ihl) return malformed(out, at, end, `not an IPv4 header (version ${version}, header length ${ihl})`);
  const total = u16(b, at + 2);
  // Trust the header's length but never read past the bytes we have (an ICMP error quotes only 28 of them).
  const stop = Math.min(end, at + Math.max(total, ihl));
  const flags = u16(b, at + 6);
  const df = (flags & 0x4000) !== 0;
  const mf = (flags & 0x2000) !== 0;
  const offset = (flags & 0x1fff) * 8;
  const proto = b[at + 9]!;
  const src = ip(b, at + 12);
  const dst = ip(b, at + 16);
  const fields: Field[] = [
    { name: "Version", value: String(version), start: at, end: at + 1 },
    { name: "Header length", value: `${ihl} bytes (${ihl / 4})`, start: at, end: at + 1 },
    { name: "Differentiated services", value: `0x${hex(b[at + 1]!, 2)}`, start: at + 1, end: at + 2 },
    { name: "Total length", value: String(total), start: at + 2, end: at + 4 },
    { name: "Identification", value: `0x${hex(u16(b, at + 4), 4)} (${u16(b, at + 4)})`, start: at + 4, end: at + 6 },
    { name: "Flags", value: [df ? "DF" : "", mf ? "MF" : ""].filter(Boolean).join(", ") || "none", start: at + 6, end: at + 7 },
    { name: "Fragment offset", value: String(offset), start: at + 6, end: at + 8 },
    { name: "Time to live", value: String(b[at + 8]), start: at + 8, end: at + 9 },
    { name: "Protocol", value: `${IP_PROTOCOLS[proto] ?? "unknown"} (${proto})`, start: at + 9, end: at + 10 },
    { name: "Header checksum", value: `0x${hex(u16(b, at + 10), 4)}`, start: at + 10, end: at + 12 },
    { name: "Source address", value: src, start: at + 12, end: at + 16 },
    { name: "Destination address", value: dst, start: at + 16, end: at + 20 },
  ];
  if (ihl > 20) fields.push({ name: "Options", value: `${ihl - 20} bytes`, start: at + 20, end: at + ihl });
  out.push({ kind: "ipv4", title: `Internet Protocol Version 4, Src: ${src}, Dst: ${dst}`, start: at, end: stop, fields });
  const body = at + ihl;
  // A fragment after the first carries no transport header: its bytes are data.
  if (offset > 0) return payload(out, body, stop, `Fragment data (offset ${offset})`);
  if (proto === 1) icmp(b, body, stop, out, mf);
  else if (proto === 6) tcp(b, body, stop, out);
  else if (proto === 17) udp(b, body, stop, out, mf);
  else if (proto === 4) ipv4(b, body, stop, out);
  else payload(out, body, stop, "Data");
}

function icmp(b: Uint8Array, at: number, end: number, out: Layer[], fragmented: boolean): void {
  if (end - at < 8) return malformed(out, at, end, "ICMP header needs 8 bytes");
  const type = b[at]!;
  const code = b[at + 1]!;
  const fields: Field[] = [
    { name: "Type", value: `${type} (${ICMP_TYPES[type] ?? "other"})`, start: at, end: at + 1 },
    { name: "Code", value: String(code), start: at + 1, end: at + 2 },
    { name: "Checksum", value: `0x${hex(u16(b, at + 2), 4)}`, start: at + 2, end: at + 4 },
  ];
  const isEcho = type === 0 || type === 8;
  if (isEcho) {
    fields.push({ name: "Identifier", value: `${u16(b, at + 4)} (0x${hex(u16(b, at + 4), 4)})`, start: at + 4, end: at + 6 });
    fields.push({ name: "Sequence number", value: String(u16(b, at + 6)), start: at + 6, end: at + 8 });
    if (end > at + 8) fields.push({ name: "Data", value: `${end - (at + 8)} bytes${fragmented ? " (first fragment)" : ""}`, start: at + 8, end });
  } else {
    fields.push({ name: type === 3 && code === 4 ? "Unused / next-hop MTU" : "Unused", value: `0x${hex(u32(b, at + 4), 8)}`, start: at + 4, end: at + 8 });
  }
  out.push({ kind: "icmp", title: `Internet Control Message Protocol, ${ICMP_TYPES[type] ?? `type ${type}`}`, start: at, end: isEcho ? end : at + 8, fields });
  // An error quotes the IP header and first 8 bytes of the datagram it is about.
  if (!isEcho && end > at + 8) ipv4(b, at + 8, end, out);
}

function tcp(b: Uint8Array, at: number, end: number, out: Layer[]): void {
  if (end - at < 20) return malformed(out, at, end, "TCP header needs 20 bytes");
  const dataOffset = (b[at + 12]! >> 4) * 4;
  const flagBits = u16(b, at + 12) & 0x01ff;
  const names = ["FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR", "NS"];
  const flags = names.filter((_, i) => (flagBits & (1 << i)) !== 0).join(", ") || "none";
  const src = u16(b, at);
  const dst = u16(b, at + 2);
  const headerEnd = Math.min(end, at + Math.max(20, dataOffset));
  const fields: Field[] = [
    { name: "Source port", value: String(src), start: at, end: at + 2 },
    { name: "Destination port", value: String(dst), start: at + 2, end: at + 4 },
    { name: "Sequence number", value: String(u32(b, at + 4)), start: at + 4, end: at + 8 },
    { name: "Acknowledgment number", value: String(u32(b, at + 8)), start: at + 8, end: at + 12 },
    { name: "Header length", value: `${dataOffset} bytes`, start: at + 12, end: at + 13 },
    { name: "Flags", value: `0x${hex(flagBits, 3)} (${flags})`, start: at + 12, end: at + 14 },
    { name: "Window", value: String(u16(b, at + 14)), start: at + 14, end: at + 16 },
    { name: "Checksum", value: `0x${hex(u16(b, at + 16), 4)}`, start: at + 16, end: at + 18 },
    { name: "Urgent pointer", value: String(u16(b, at + 18)), start: at + 18, end: at + 20 },
  ];
  if (headerEnd > at + 20) fields.push({ name: "Options", value: `${headerEnd - at - 20} bytes`, start: at + 20, end: headerEnd });
  out.push({ kind: "tcp", title: `Transmission Control Protocol, Src Port: ${src}, Dst Port: ${dst}, Flags: ${flags}`, start: at, end: headerEnd, fields });
  if (end > headerEnd) payload(out, headerEnd, end, "TCP payload");
}

function udp(b: Uint8Array, at: number, end: number, out: Layer[], fragmented: boolean): void {
  if (end - at < 8) return malformed(out, at, end, "UDP header needs 8 bytes");
  const src = u16(b, at);
  const dst = u16(b, at + 2);
  out.push({
    kind: "udp",
    title: `User Datagram Protocol, Src Port: ${src}, Dst Port: ${dst}`,
    start: at,
    end: at + 8,
    fields: [
      { name: "Source port", value: String(src), start: at, end: at + 2 },
      { name: "Destination port", value: String(dst), start: at + 2, end: at + 4 },
      { name: "Length", value: String(u16(b, at + 4)), start: at + 4, end: at + 6 },
      { name: "Checksum", value: `0x${hex(u16(b, at + 6), 4)}`, start: at + 6, end: at + 8 },
    ],
  });
  const body = at + 8;
  if (body >= end) return;
  // The first fragment of a large datagram has only the start of what it carries: not decoded further.
  if (fragmented) return payload(out, body, end, "Data (first fragment)");
  if (VXLAN_PORTS.has(dst)) vxlan(b, body, end, out);
  else if (dst === FLANNEL_UDP_PORT) ipv4(b, body, end, out);
  else if (dst === DNS_PORT || src === DNS_PORT) dns(b, body, end, out);
  else payload(out, body, end, "Data");
}

const DNS_PORT = 53;
const DNS_TYPES: Record<number, string> = { 1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 28: "AAAA", 33: "SRV", 41: "OPT" };
const DNS_RCODES: Record<number, string> = { 0: "No error", 1: "Format error", 2: "Server failure", 3: "No such name", 4: "Not implemented", 5: "Refused" };

/** A name at `at` (pointers followed, backwards only): its text and the offset after it in place; null when cut short. */
function dnsName(b: Uint8Array, msg: number, at: number, end: number): { name: string; next: number } | null {
  const labels: string[] = [];
  let next = -1;
  let limit = at;
  for (let guard = 0; guard < 128; guard++) {
    if (at >= end) return null;
    const len = b[at]!;
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= end) return null;
      const target = msg + (((len & 0x3f) << 8) | b[at + 1]!);
      if (target >= limit) return null;
      if (next < 0) next = at + 2;
      at = limit = target;
    } else if (len === 0) {
      return { name: labels.length === 0 ? "<Root>" : labels.join("."), next: next < 0 ? at + 1 : next };
    } else {
      if (at + 1 + len > end) return null;
      labels.push(String.fromCharCode(...b.subarray(at + 1, at + 1 + len)));
      at += 1 + len;
    }
  }
  return null;
}

function dns(b: Uint8Array, at: number, end: number, out: Layer[]): void {
  if (end - at < 12) return malformed(out, at, end, "DNS header needs 12 bytes");
  const flags = u16(b, at + 2);
  const response = (flags & 0x8000) !== 0;
  const counts = [u16(b, at + 4), u16(b, at + 6), u16(b, at + 8), u16(b, at + 10)];
  const words = [response ? "response" : "query", (flags & 0x0400) !== 0 ? "authoritative" : "", (flags & 0x0100) !== 0 ? "recursion desired" : "", (flags & 0x0080) !== 0 ? "recursion available" : ""].filter((w) => w !== "");
  const fields: Field[] = [
    { name: "Transaction ID", value: `0x${hex(u16(b, at), 4)}`, start: at, end: at + 2 },
    { name: "Flags", value: `0x${hex(flags, 4)} (${words.join(", ")}${response ? `; ${DNS_RCODES[flags & 15] ?? `rcode ${flags & 15}`}` : ""})`, start: at + 2, end: at + 4 },
    { name: "Questions", value: String(counts[0]), start: at + 4, end: at + 6 },
    { name: "Answer RRs", value: String(counts[1]), start: at + 6, end: at + 8 },
    { name: "Authority RRs", value: String(counts[2]), start: at + 8, end: at + 10 },
    { name: "Additional RRs", value: String(counts[3]), start: at + 10, end: at + 12 },
  ];
  let p = at + 12;
  let first = "";
  for (let i = 0; i < counts[0]! && p < end; i++) {
    const n = dnsName(b, at, p, end);
    if (n === null || n.next + 4 > end) break;
    const type = DNS_TYPES[u16(b, n.next)] ?? `Type ${u16(b, n.next)}`;
    if (i === 0) first = `${type} ${n.name}`;
    fields.push({ name: "Query", value: `${n.name}: type ${type}, class ${u16(b, n.next + 2) === 1 ? "IN" : u16(b, n.next + 2)}`, start: p, end: n.next + 4 });
    p = n.next + 4;
  }
  const sections = ["Answer", "Authority", "Additional"];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]! && p < end; i++) {
      const n = dnsName(b, at, p, end);
      if (n === null || n.next + 10 > end) break;
      const type = u16(b, n.next);
      const rdLength = u16(b, n.next + 8);
      const rd = n.next + 10;
      if (rd + rdLength > end) break;
      const data = type === 1 && rdLength === 4 ? `addr ${b[rd]}.${b[rd + 1]}.${b[rd + 2]}.${b[rd + 3]}` : `${rdLength} bytes of data`;
      fields.push({ name: sections[s]!, value: `${n.name}: type ${DNS_TYPES[type] ?? `Type ${type}`}, ttl ${u32(b, n.next + 4)}, ${data}`, start: p, end: rd + rdLength });
      p = rd + rdLength;
    }
  }
  out.push({ kind: "dns", title: `Domain Name System (${response ? "response" : "query"})${first === "" ? "" : `, ${first}`}`, start: at, end: p, fields });
  if (p < end) payload(out, p, end, "Data after the DNS message");
}

function vxlan(b: Uint8Array, at: number, end: number, out: Layer[]): void {
  if (end - at < 8) return malformed(out, at, end, "VXLAN header needs 8 bytes");
  const vni = (b[at + 4]! << 16) | (b[at + 5]! << 8) | b[at + 6]!;
  out.push({
    kind: "vxlan",
    title: `Virtual eXtensible Local Area Network, VNI: ${vni}`,
    start: at,
    end: at + 8,
    fields: [
      { name: "Flags", value: `0x${hex(b[at]!, 2)}${(b[at]! & 0x08) !== 0 ? " (VNI valid)" : ""}`, start: at, end: at + 1 },
      { name: "Reserved", value: `0x${hex((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!, 6)}`, start: at + 1, end: at + 4 },
      { name: "VXLAN Network Identifier (VNI)", value: String(vni), start: at + 4, end: at + 7 },
      { name: "Reserved", value: `0x${hex(b[at + 7]!, 2)}`, start: at + 7, end: at + 8 },
    ],
  });
  ethernet(b, at + 8, end, out);
}

function payload(out: Layer[], start: number, end: number, name: string): void {
  if (end <= start) return;
  out.push({ kind: "payload", title: `${name} (${end - start} bytes)`, start, end, fields: [{ name, value: `${end - start} bytes`, start, end }] });
}

function malformed(out: Layer[], start: number, end: number, why: string): void {
  out.push({ kind: "malformed", title: `Malformed: ${why}`, start, end, fields: [{ name: "Bytes", value: `${Math.max(0, end - start)} bytes`, start, end: Math.max(start, end) }] });
}

function u16(b: Uint8Array, at: number): number {
  return ((b[at] ?? 0) << 8) | (b[at + 1] ?? 0);
}

function u32(b: Uint8Array, at: number): number {
  return (u16(b, at) * 0x10000 + u16(b, at + 2)) >>> 0;
}

function mac(b: Uint8Array, at: number): string {
  return Array.from(b.subarray(at, at + 6), (x) => hex(x, 2)).join(":");
}

function ip(b: Uint8Array, at: number): string {
  return Array.from(b.subarray(at, at + 4)).join(".");
}

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}
