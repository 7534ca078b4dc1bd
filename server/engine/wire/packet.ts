/**
 * Decoding whole frames for people: the layer stack as plain JSON data
 * (addresses as strings, no byte arrays) that trace events carry, and a
 * one-line summary worded like `tcpdump -n` (optionally `-e`). decodeFrame never
 * throws: unknown EtherTypes and protocols become `raw` layers and anything a
 * strict decoder rejects becomes a `malformed` layer with its error. This is the
 * display path, not the hot path; encoding is in encode-frame.ts. Of the
 * application protocols only DNS over UDP port 53 is decoded (the cluster's
 * name service); the others (HTTP…) stop at "UDP, length N" or the TCP header
 * where tcpdump might go on.
 */
import { decodeArp } from "./arp.js";
import { hex } from "./bytes.js";
import { decodeDns, DNS_PORT, dnsTypeName, type DnsHeader, type DnsMessage, type DnsRecord } from "./dns.js";
import { decodeEthernet, EtherType, formatEtherType } from "./ethernet.js";
import { decodeIcmp, parseQuotedDatagram, type IcmpTimeExceededCode } from "./icmp.js";
import { formatIpv4 } from "./ipv4-address.js";
import { decodeIpv4, IpProtocol, type DecodedIpv4 } from "./ipv4.js";
import { formatMac } from "./mac-address.js";
import { decodeTcp, formatTcpFlags, formatTcpOption, type TcpFlags, type TcpOption } from "./tcp.js";
import { decodeUdp } from "./udp.js";
import { decodeVxlan, VXLAN_PORT } from "./vxlan.js";

export interface EthernetLayer {
  readonly kind: "ethernet";
  readonly dst: string;
  readonly src: string;
  readonly etherType: number;
  /** The whole frame's length in bytes. */
  readonly length: number;
}

export interface ArpLayer {
  readonly kind: "arp";
  readonly operation: "request" | "reply";
  readonly senderMac: string;
  readonly senderIp: string;
  readonly targetMac: string;
  readonly targetIp: string;
  /** Bytes after the Ethernet header, padding included (what tcpdump prints). */
  readonly length: number;
}

export interface Ipv4Layer {
  readonly kind: "ipv4";
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly ttl: number;
  readonly dscp: number;
  readonly ecn: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** In 8-byte units, as on the wire. */
  readonly fragmentOffset: number;
  readonly headerLength: number;
  readonly totalLength: number;
  readonly checksum: number;
}

/** The datagram an ICMP error quotes, as far as the quote shows it. */
export interface QuotedLayer {
  readonly src: string;
  readonly dst: string;
  readonly protocol: number;
  readonly srcPort: number | null;
  readonly dstPort: number | null;
}

export type IcmpLayer =
  | {
      readonly kind: "icmp";
      readonly type: "echo-request" | "echo-reply";
      readonly identifier: number;
      readonly sequence: number;
      /** The whole ICMP message length. */
      readonly length: number;
      readonly checksum: number;
    }
  | {
      readonly kind: "icmp";
      readonly type: "destination-unreachable";
      readonly code: number;
      /** Set for code 4 (fragmentation needed). */
      readonly nextHopMtu: number | null;
      readonly quoted: QuotedLayer | null;
      readonly length: number;
      readonly checksum: number;
    }
  | {
      readonly kind: "icmp";
      readonly type: "time-exceeded";
      readonly code: IcmpTimeExceededCode;
      readonly quoted: QuotedLayer | null;
      readonly length: number;
      readonly checksum: number;
    }
  | {
      readonly kind: "icmp";
      readonly type: "other";
      readonly icmpType: number;
      readonly code: number;
      readonly length: number;
      readonly checksum: number;
    };

export interface TcpLayer {
  readonly kind: "tcp";
  readonly srcPort: number;
  readonly dstPort: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: TcpFlags;
  readonly window: number;
  readonly urgent: number;
  readonly headerLength: number;
  readonly options: readonly TcpOption[];
  readonly payloadLength: number;
  readonly checksum: number;
}

export interface UdpLayer {
  readonly kind: "udp";
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payloadLength: number;
  /** 0 when the sender sent none. */
  readonly checksum: number;
}

export interface VxlanLayer {
  readonly kind: "vxlan";
  readonly vni: number;
  readonly flags: number;
}

/** A resource record as text: its type's name and its data ("10.96.0.100", the SOA's fields, or the rdata's length). */
export interface DnsRecordLayer {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly data: string;
}

/** A DNS message carried by UDP port 53: its header's fields (rcode 0 NOERROR, 3 NXDOMAIN…), then its sections as text. */
export interface DnsLayer extends DnsHeader {
  readonly kind: "dns";
  readonly questions: readonly { readonly name: string; readonly type: string }[];
  readonly answers: readonly DnsRecordLayer[];
  readonly authority: readonly DnsRecordLayer[];
  readonly additional: readonly DnsRecordLayer[];
}

/** Bytes this decoder does not interpret. */
export interface RawLayer {
  readonly kind: "raw";
  readonly reason: "unknown-ethertype" | "unknown-protocol" | "ip-fragment";
  readonly length: number;
}

/** Where a strict decoder said no; nothing is decoded past it. */
export interface MalformedLayer {
  readonly kind: "malformed";
  readonly protocol: "ethernet" | "arp" | "ipv4" | "icmp" | "tcp" | "udp" | "vxlan" | "dns";
  readonly error: string;
  readonly length: number;
}

export type DecodedLayer =
  | EthernetLayer
  | ArpLayer
  | Ipv4Layer
  | IcmpLayer
  | TcpLayer
  | UdpLayer
  | VxlanLayer
  | DnsLayer
  | RawLayer
  | MalformedLayer;

/** Outermost first; VXLAN's inner frame continues the same list with another `ethernet`. */
export type DecodedFrame = readonly DecodedLayer[];

export interface DecodeFrameOptions {
  /** UDP destination ports decoded as VXLAN; default [4789]. Add 8472 for Linux-default or flannel tunnels. */
  readonly vxlanPorts?: readonly number[];
  /** Default true: bad IPv4/ICMP/TCP/UDP checksums yield `malformed` layers. */
  readonly verifyChecksums?: boolean;
}

const DEFAULT_VXLAN_PORTS: readonly number[] = [VXLAN_PORT];
/** Random bytes cannot nest deeper than this; real overlays use one level. */
const MAX_ENCAPSULATION_DEPTH = 8;

export function decodeFrame(bytes: Uint8Array, options?: DecodeFrameOptions): DecodedFrame {
  const layers: DecodedLayer[] = [];
  const ctx: Ctx = {
    layers,
    vxlanPorts: options?.vxlanPorts ?? DEFAULT_VXLAN_PORTS,
    verify: options?.verifyChecksums !== false,
  };
  decodeEthernetInto(ctx, bytes, 0);
  return layers;
}

interface Ctx {
  readonly layers: DecodedLayer[];
  readonly vxlanPorts: readonly number[];
  readonly verify: boolean;
}

function decodeEthernetInto(ctx: Ctx, bytes: Uint8Array, depth: number): void {
  const eth = decodeEthernet(bytes);
  if (!eth.ok) {
    ctx.layers.push({ kind: "malformed", protocol: "ethernet", error: eth.error, length: bytes.length });
    return;
  }
  const { repr, payload } = eth.value;
  ctx.layers.push({ kind: "ethernet", dst: formatMac(repr.dst), src: formatMac(repr.src), etherType: repr.etherType, length: bytes.length });
  if (repr.etherType === EtherType.Arp) {
    const arp = decodeArp(payload);
    if (!arp.ok) {
      ctx.layers.push({ kind: "malformed", protocol: "arp", error: arp.error, length: payload.length });
      return;
    }
    const a = arp.value;
    ctx.layers.push({
      kind: "arp",
      operation: a.operation,
      senderMac: formatMac(a.senderMac),
      senderIp: formatIpv4(a.senderIp),
      targetMac: formatMac(a.targetMac),
      targetIp: formatIpv4(a.targetIp),
      length: payload.length,
    });
  } else if (repr.etherType === EtherType.Ipv4) {
    decodeIpv4Into(ctx, payload, depth);
  } else {
    ctx.layers.push({ kind: "raw", reason: "unknown-ethertype", length: payload.length });
  }
}

function decodeIpv4Into(ctx: Ctx, bytes: Uint8Array, depth: number): void {
  const decoded = decodeIpv4(bytes, { verifyChecksum: ctx.verify });
  if (!decoded.ok) {
    ctx.layers.push({ kind: "malformed", protocol: "ipv4", error: decoded.error, length: bytes.length });
    return;
  }
  const ip: DecodedIpv4 = decoded.value;
  const r = ip.repr;
  ctx.layers.push({
    kind: "ipv4",
    src: formatIpv4(r.src),
    dst: formatIpv4(r.dst),
    protocol: r.protocol,
    ttl: r.ttl,
    dscp: r.dscp,
    ecn: r.ecn,
    identification: r.identification,
    dontFragment: r.dontFragment,
    moreFragments: r.moreFragments,
    fragmentOffset: r.fragmentOffset,
    headerLength: ip.headerLength,
    totalLength: ip.totalLength,
    checksum: ip.checksum,
  });
  const payload = ip.payload;
  if (r.fragmentOffset !== 0) {
    ctx.layers.push({ kind: "raw", reason: "ip-fragment", length: payload.length });
    return;
  }
  // A first fragment's transport checksum covers bytes that are not here yet.
  const verify = ctx.verify && !r.moreFragments;
  switch (r.protocol) {
    case IpProtocol.Icmp: {
      const icmp = decodeIcmp(payload, { verifyChecksum: verify });
      if (!icmp.ok) {
        ctx.layers.push({ kind: "malformed", protocol: "icmp", error: icmp.error, length: payload.length });
        return;
      }
      const m = icmp.value.repr;
      const length = payload.length;
      const checksum = icmp.value.checksum;
      switch (m.type) {
        case "echo-request":
        case "echo-reply":
          ctx.layers.push({ kind: "icmp", type: m.type, identifier: m.identifier, sequence: m.sequence, length, checksum });
          return;
        case "destination-unreachable":
          ctx.layers.push({
            kind: "icmp",
            type: m.type,
            code: m.code,
            nextHopMtu: m.code === 4 ? m.nextHopMtu : null,
            quoted: quotedLayer(m.original),
            length,
            checksum,
          });
          return;
        case "time-exceeded":
          ctx.layers.push({ kind: "icmp", type: m.type, code: m.code, quoted: quotedLayer(m.original), length, checksum });
          return;
        case "other":
          ctx.layers.push({ kind: "icmp", type: "other", icmpType: m.icmpType, code: m.code, length, checksum });
          return;
      }
      return;
    }
    case IpProtocol.Tcp: {
      const tcp = decodeTcp(payload, r.src, r.dst, { verifyChecksum: verify });
      if (!tcp.ok) {
        ctx.layers.push({ kind: "malformed", protocol: "tcp", error: tcp.error, length: payload.length });
        return;
      }
      const t = tcp.value;
      ctx.layers.push({
        kind: "tcp",
        srcPort: t.repr.srcPort,
        dstPort: t.repr.dstPort,
        seq: t.repr.seq,
        ack: t.repr.ack,
        flags: t.repr.flags,
        window: t.repr.window,
        urgent: t.repr.urgent,
        headerLength: t.headerLength,
        options: t.options,
        payloadLength: t.payload.length,
        checksum: t.checksum,
      });
      return;
    }
    case IpProtocol.Udp: {
      const udp = decodeUdp(payload, r.src, r.dst, { verifyChecksum: verify });
      if (!udp.ok) {
        ctx.layers.push({ kind: "malformed", protocol: "udp", error: udp.error, length: payload.length });
        return;
      }
      const u = udp.value;
      ctx.layers.push({
        kind: "udp",
        srcPort: u.repr.srcPort,
        dstPort: u.repr.dstPort,
        payloadLength: u.payload.length,
        checksum: u.checksum,
      });
      if (ctx.vxlanPorts.includes(u.repr.dstPort) && depth < MAX_ENCAPSULATION_DEPTH && !r.moreFragments) {
        const vx = decodeVxlan(u.payload);
        if (!vx.ok) {
          ctx.layers.push({ kind: "malformed", protocol: "vxlan", error: vx.error, length: u.payload.length });
          return;
        }
        ctx.layers.push({ kind: "vxlan", vni: vx.value.repr.vni, flags: vx.value.flags });
        decodeEthernetInto(ctx, vx.value.payload, depth + 1);
        return;
      }
      if ((u.repr.dstPort === DNS_PORT || u.repr.srcPort === DNS_PORT) && !r.moreFragments) {
        const dns = decodeDns(u.payload);
        ctx.layers.push(dns.ok ? dnsLayer(dns.value) : { kind: "malformed", protocol: "dns", error: dns.error, length: u.payload.length });
      }
      return;
    }
    case IpProtocol.Ipip:
      if (depth < MAX_ENCAPSULATION_DEPTH && !r.moreFragments) {
        decodeIpv4Into(ctx, payload, depth + 1);
        return;
      }
      ctx.layers.push({ kind: "raw", reason: "unknown-protocol", length: payload.length });
      return;
    default:
      ctx.layers.push({ kind: "raw", reason: "unknown-protocol", length: payload.length });
  }
}

/** A name with its trailing dot, the root as ".". */
const fqdn = (name: string) => (name === "" ? "." : `${name}.`);

function recordLayer(r: DnsRecord): DnsRecordLayer {
  const d = r.data;
  let data: string;
  switch (d.kind) {
    case "a":
      data = formatIpv4(d.address);
      break;
    case "soa":
      data = `${fqdn(d.soa.mname)} ${fqdn(d.soa.rname)} ${d.soa.serial} ${d.soa.refresh} ${d.soa.retry} ${d.soa.expire} ${d.soa.minimum}`;
      break;
    case "raw":
      data = `${d.bytes.length} bytes`;
      break;
  }
  return { name: r.name, type: dnsTypeName(r.type), ttl: r.ttl, data };
}

function dnsLayer(m: DnsMessage): DnsLayer {
  return {
    kind: "dns",
    ...m.header,
    questions: m.questions.map((q) => ({ name: q.name, type: dnsTypeName(q.type) })),
    answers: m.answers.map(recordLayer),
    authority: m.authority.map(recordLayer),
    additional: m.additional.map(recordLayer),
  };
}

function quotedLayer(original: Uint8Array): QuotedLayer | null {
  const q = parseQuotedDatagram(original);
  if (q === null) return null;
  return {
    src: formatIpv4(q.src),
    dst: formatIpv4(q.dst),
    protocol: q.protocol,
    srcPort: q.srcPort ?? null,
    dstPort: q.dstPort ?? null,
  };
}

export interface SummarizeOptions {
  /** Like `tcpdump -e`: start with the MAC addresses and EtherType of each Ethernet header. */
  readonly link?: boolean;
}

/**
 * One line worded like `tcpdump -n` prints the frame, e.g.
 * "IP 172.17.0.2 > 172.17.0.3: ICMP echo request, id 1, seq 1, length 64".
 * Sequence numbers are absolute (tcpdump -S): there is no flow state here.
 */
export function summarizeFrame(frame: DecodedFrame, options?: SummarizeOptions): string {
  return summarizeFrom(frame, 0, options?.link === true);
}

function summarizeFrom(layers: DecodedFrame, i: number, link: boolean): string {
  const first = layers[i];
  if (first === undefined) return "[empty frame]";
  if (first.kind === "malformed") return `[${first.error}]`;
  if (first.kind !== "ethernet") return summarizeIpv4From(layers, i, link);
  const header = `${first.src} > ${first.dst}, ethertype ${formatEtherType(first.etherType)}, length ${first.length}`;
  const next = layers[i + 1];
  if (next === undefined) return header;
  switch (next.kind) {
    case "arp":
      return (link ? `${header}: ` : "ARP, ") + summarizeArp(next);
    case "ipv4":
      return (link ? `${header}: ` : "IP ") + summarizeIpv4From(layers, i + 1, link);
    case "malformed":
      return `${link ? `${header}: ` : next.protocol === "arp" ? "ARP, " : "IP "}[${next.error}]`;
    default:
      // tcpdump adds a hex dump of what it cannot decode; one line has no room for it.
      return header;
  }
}

function summarizeArp(a: ArpLayer): string {
  if (a.operation === "request") {
    const tha = a.targetMac === "00:00:00:00:00:00" ? "" : ` (${a.targetMac})`;
    return `Request who-has ${a.targetIp}${tha} tell ${a.senderIp}, length ${a.length}`;
  }
  return `Reply ${a.senderIp} is-at ${a.senderMac}, length ${a.length}`;
}

/** layers[i] is the ipv4 layer; returns what tcpdump prints after "IP " (or after the link header with -e). */
function summarizeIpv4From(layers: DecodedFrame, i: number, link: boolean): string {
  const ip = layers[i];
  if (ip === undefined) return "[truncated]";
  if (ip.kind === "malformed") return `[${ip.error}]`;
  if (ip.kind !== "ipv4") return `[unexpected ${ip.kind} layer]`;
  const next = layers[i + 1];
  const hosts = `${ip.src} > ${ip.dst}`;
  if (next === undefined) return `${hosts}: [no payload]`;
  switch (next.kind) {
    case "icmp":
      return `${hosts}: ICMP ${summarizeIcmp(next)}, length ${next.length}`;
    case "tcp":
      return `${ip.src}.${next.srcPort} > ${ip.dst}.${next.dstPort}: ${summarizeTcp(next)}`;
    case "udp": {
      const ports = `${ip.src}.${next.srcPort} > ${ip.dst}.${next.dstPort}`;
      const after = layers[i + 2];
      if (after !== undefined && after.kind === "vxlan") {
        // tcpdump starts a new line for the inner frame and drops its "IP "/"ARP, ";
        // on one line that prefix is what tells the inner frame apart.
        return `${ports}: VXLAN, flags [I] (${hex(after.flags, 2)}), vni ${after.vni}: ${summarizeFrom(layers, i + 3, link)}`;
      }
      if (after !== undefined && after.kind === "dns") return `${ports}: ${summarizeDns(after)} (${next.payloadLength})`;
      if (after !== undefined && after.kind === "malformed") return `${ports}: [${after.error}]`;
      return `${ports}: UDP, length ${next.payloadLength}`;
    }
    case "ipv4":
      return `${hosts}: ${link ? "" : "IP "}${summarizeIpv4From(layers, i + 1, link)}`;
    case "raw":
      if (next.reason === "ip-fragment") return `${hosts}: ip-proto-${ip.protocol}`;
      return `${hosts}:  ip-proto-${ip.protocol} ${next.length}`;
    case "malformed":
      return `${hosts}: [${next.error}]`;
    default:
      return `${hosts}: [unexpected ${next.kind} layer]`;
  }
}

const DNS_RCODES = ["", " FormErr", " ServFail", " NXDomain", " NotImp", " Refused", " YXDomain", " YXRRSet", " NXRRSet", " NotAuth", " NotZone"];
const DNS_OPCODES = ["", " inv_q", " stat", " op3", " notify", " update", " op6", " op7", " op8", " updateA", " updateD", " updateDA", " updateM", " updateMA", " zoneInit", " zoneRef"];

/** An answer as tcpdump prints it without -v: its type, then its data for the types it spells out. */
function summarizeRecord(r: DnsRecordLayer): string {
  return r.type === "A" || r.type === "CNAME" || r.type === "NS" || r.type === "PTR" ? ` ${r.type} ${r.data}` : ` ${r.type}`;
}

/** What tcpdump's ns_print writes for a message (print-domain.c, no -v): "id+ A? name." or "id* 1/0/0 A addr". */
function summarizeDns(d: DnsLayer): string {
  if (d.response) {
    const head = `${d.id}${DNS_OPCODES[d.opcode]}${DNS_RCODES[d.rcode] ?? ` Resp${d.rcode}`}${d.authoritative ? "*" : ""}${d.recursionAvailable ? "" : "-"}${d.truncated ? "|" : ""}${d.authenticData ? "$" : ""}`;
    const q = d.questions.length !== 1 ? ` [${d.questions.length}q]` : "";
    return `${head}${q} ${d.answers.length}/${d.authority.length}/${d.additional.length}${d.answers.map(summarizeRecord).join(",")}`;
  }
  const counts = [
    d.questions.length !== 1 ? ` [${d.questions.length}q]` : "",
    d.answers.length !== 0 ? ` [${d.answers.length}a]` : "",
    d.authority.length !== 0 ? ` [${d.authority.length}n]` : "",
    d.additional.length !== 0 ? ` [${d.additional.length}au]` : "",
  ].join("");
  const q = d.questions[0];
  return `${d.id}${DNS_OPCODES[d.opcode]}${d.recursionDesired ? "+" : ""}${d.checkingDisabled ? "%" : ""}${counts}${q === undefined ? "" : ` ${q.type}? ${fqdn(q.name)}`}`;
}

const UNREACHABLE_TEXT: Readonly<Record<number, (dst: string) => string>> = {
  0: (d) => `net ${d} unreachable`,
  1: (d) => `host ${d} unreachable`,
  5: (d) => `${d} unreachable - source route failed`,
  6: (d) => `net ${d} unreachable - unknown`,
  7: (d) => `host ${d} unreachable - unknown`,
  8: (d) => `${d} unreachable - source host isolated`,
  9: (d) => `net ${d} unreachable - admin prohibited`,
  10: (d) => `host ${d} unreachable - admin prohibited`,
  11: (d) => `net ${d} unreachable - tos prohibited`,
  12: (d) => `host ${d} unreachable - tos prohibited`,
  13: (d) => `host ${d} unreachable - admin prohibited filter`,
  14: (d) => `host ${d} unreachable - host precedence violation`,
  15: (d) => `host ${d} unreachable - precedence cutoff`,
};

function summarizeIcmp(m: IcmpLayer): string {
  switch (m.type) {
    case "echo-request":
      return `echo request, id ${m.identifier}, seq ${m.sequence}`;
    case "echo-reply":
      return `echo reply, id ${m.identifier}, seq ${m.sequence}`;
    case "time-exceeded":
      return m.code === 0 ? "time exceeded in-transit" : "ip reassembly time exceeded";
    case "other":
      return `type-#${m.icmpType}`;
    case "destination-unreachable": {
      const q = m.quoted;
      const dst = q?.dst ?? "?";
      if (m.code === 2) return `${dst} protocol ${q?.protocol ?? "?"} unreachable`;
      if (m.code === 3) {
        if (q !== null && q.dstPort !== null && (q.protocol === IpProtocol.Udp || q.protocol === IpProtocol.Tcp)) {
          return `${dst} ${q.protocol === IpProtocol.Udp ? "udp" : "tcp"} port ${q.dstPort} unreachable`;
        }
        return `${dst} protocol ${q?.protocol ?? "?"} port ${q?.dstPort ?? "?"} unreachable`;
      }
      if (m.code === 4) {
        return m.nextHopMtu !== null && m.nextHopMtu !== 0
          ? `${dst} unreachable - need to frag (mtu ${m.nextHopMtu})`
          : `${dst} unreachable - need to frag`;
      }
      const text = UNREACHABLE_TEXT[m.code];
      return text !== undefined ? text(dst) : `${dst} unreachable - #${m.code}`;
    }
  }
}

function summarizeTcp(t: TcpLayer): string {
  let s = `Flags [${formatTcpFlags(t.flags)}]`;
  if (t.payloadLength > 0 || t.flags.syn || t.flags.fin || t.flags.rst) {
    s += `, seq ${t.seq}`;
    if (t.payloadLength > 0) s += `:${(t.seq + t.payloadLength) >>> 0}`;
  }
  if (t.flags.ack) s += `, ack ${t.ack}`;
  s += `, win ${t.window}`;
  if (t.flags.urg) s += `, urg ${t.urgent}`;
  if (t.options.length > 0) s += `, options [${t.options.map(formatTcpOption).join(",")}]`;
  return `${s}, length ${t.payloadLength}`;
}
