/**
 * tcpdump 4.99's lines for the frames a device saw: the one-line summaries of
 * wire/packet.ts (shared with the trace), plus what the tool itself adds:
 * the time of day, `-e`'s link header, `-v`'s IP header details and the
 * datagram an ICMP error quotes, TCP sequence numbers relative to the
 * conversation's first ones (tcpdump's default; -S keeps them absolute) and
 * the first line of HTTP on port 80. Checksums are printed as correct: the
 * simulator computes every one, where a capture on a Linux veth often shows
 * "incorrect" because the kernel leaves them to an offload that never runs.
 */
import { formatEtherType } from "../wire/ethernet.js";
import { decodeFrame, summarizeFrame, type DecodedFrame, type Ipv4Layer, type TcpLayer } from "../wire/packet.js";
import { formatTcpFlags, formatTcpOption } from "../wire/tcp.js";

export interface TcpdumpStyle {
  /** -e */
  readonly link: boolean;
  /** -v */
  readonly verbose: boolean;
  /** -S */
  readonly absoluteSeq: boolean;
  /** -t */
  readonly noTime: boolean;
}

const DAY = 86_400_000_000;
const pad = (n: number, w = 2) => String(n).padStart(w, "0");

/** tcpdump's default time stamp: the time of day (UTC), to the microsecond. */
export function timeOfDay(micros: number): string {
  const t = ((micros % DAY) + DAY) % DAY;
  const s = Math.floor(t / 1_000_000);
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}.${pad(t % 1_000_000, 6)}`;
}

const PROTO_NAMES: Readonly<Record<number, string>> = { 1: "ICMP", 4: "IPIP", 6: "TCP", 17: "UDP" };
const HTTP_FIRST_LINE = /^(?:(?:GET|HEAD|POST|PUT|DELETE|OPTIONS|TRACE|CONNECT|PATCH) \S+ HTTP\/\d\.\d|HTTP\/\d\.\d \d{3}\b.*)$/;

/** One tcpdump run: prints frames in order, remembering each TCP conversation's first sequence numbers. */
export class TcpdumpPrinter {
  /** Per direction "src.port>dst.port": the sequence number subtracted (print-tcp.c's tcp_seq_hash). */
  private readonly seqBase = new Map<string, number>();

  constructor(private readonly style: TcpdumpStyle) {}

  /** The lines for one frame; `raw`: the device carries bare IP packets (TUN, IPIP), whose link header a capture does not have. */
  print(time: number, layers: DecodedFrame, bytes: Uint8Array, raw: boolean): string {
    const stamp = this.style.noTime ? "" : `${timeOfDay(time)} `;
    return stamp + this.frame(layers, bytes, raw);
  }

  private frame(layers: DecodedFrame, bytes: Uint8Array, raw: boolean): string {
    const eth = layers[0];
    const next = layers[1];
    if (eth?.kind !== "ethernet" || next === undefined) return summarizeFrame(layers, { link: this.style.link });
    if (raw) return (this.style.link ? "ip: " : "") + (next.kind === "ipv4" ? `IP ${this.ip(layers, 1, bytes, 14)}` : summarizeFrame(layers));
    const header = this.style.link ? `${eth.src} > ${eth.dst}, ethertype ${formatEtherType(eth.etherType)}, length ${eth.length}: ` : "";
    if (next.kind === "arp") {
      const text = summarizeFrame(layers).replace(/^ARP, /, "");
      return `${header}${this.style.link ? "" : "ARP, "}${this.style.verbose ? "Ethernet (len 6), IPv4 (len 4), " : ""}${text}`;
    }
    // With -e the link header stands where "IP " would.
    if (next.kind === "ipv4") return `${header}${this.style.link ? "" : "IP "}${this.ip(layers, 1, bytes, 14)}`;
    return summarizeFrame(layers, { link: this.style.link });
  }

  /** What follows "IP ": with -v the header details, then the addresses and the payload on the next line. */
  private ip(layers: DecodedFrame, i: number, bytes: Uint8Array, offset: number): string {
    const ip = layers[i] as Ipv4Layer;
    const next = layers[i + 1];
    let body: string;
    if (next?.kind === "tcp") body = this.tcp(ip, next, bytes, offset + ip.headerLength);
    else body = summarizeFrame(layers.slice(i));
    if (next?.kind === "icmp" && this.style.verbose && (next.type === "destination-unreachable" || next.type === "time-exceeded")) {
      body += this.quoted(bytes.subarray(offset + ip.headerLength + 8, offset + ip.totalLength));
    }
    if (!this.style.verbose) return body;
    const flags = `${ip.moreFragments ? "+" : ""}${ip.dontFragment ? "DF" : ""}` || "none";
    const proto = `${PROTO_NAMES[ip.protocol] ?? "unknown"} (${ip.protocol})`;
    const tos = (ip.dscp << 2) | ip.ecn;
    return `(tos 0x${tos.toString(16)}, ttl ${ip.ttl}, id ${ip.identification}, offset ${ip.fragmentOffset * 8}, flags [${flags}], proto ${proto}, length ${ip.totalLength})\n    ${body}`;
  }

  /** -v: the datagram an ICMP error carries, as tcpdump prints it under the error. */
  private quoted(datagram: Uint8Array): string {
    const framed = new Uint8Array(14 + datagram.length);
    framed[12] = 0x08;
    framed.set(datagram, 14);
    const layers = decodeFrame(framed, { verifyChecksums: false });
    if (layers[1]?.kind !== "ipv4") return "";
    return `\n\tIP ${this.ip(layers, 1, framed, 14)}`;
  }

  private tcp(ip: Ipv4Layer, t: TcpLayer, bytes: Uint8Array, offset: number): string {
    let seq = t.seq;
    let ack = t.ack;
    if (!this.style.absoluteSeq && t.flags.ack) {
      const fwd = `${ip.src}.${t.srcPort}>${ip.dst}.${t.dstPort}`;
      const rev = `${ip.dst}.${t.dstPort}>${ip.src}.${t.srcPort}`;
      const base = this.seqBase.get(fwd);
      if (base === undefined || t.flags.syn) {
        this.seqBase.set(fwd, t.seq);
        this.seqBase.set(rev, (t.ack - 1) >>> 0);
      } else {
        seq = (t.seq - base) >>> 0;
        ack = (t.ack - (this.seqBase.get(rev) ?? 0)) >>> 0;
      }
    }
    let s = `${ip.src}.${t.srcPort} > ${ip.dst}.${t.dstPort}: Flags [${formatTcpFlags(t.flags)}]`;
    if (this.style.verbose) s += `, cksum 0x${t.checksum.toString(16).padStart(4, "0")} (correct)`;
    if (t.payloadLength > 0 || t.flags.syn || t.flags.fin || t.flags.rst) {
      s += `, seq ${seq}`;
      if (t.payloadLength > 0) s += `:${(seq + t.payloadLength) >>> 0}`;
    }
    if (t.flags.ack) s += `, ack ${ack}`;
    s += `, win ${t.window}`;
    if (t.flags.urg) s += `, urg ${t.urgent}`;
    if (t.options.length > 0) s += `, options [${t.options.map(formatTcpOption).join(",")}]`;
    s += `, length ${t.payloadLength}`;
    if (t.payloadLength > 0 && [t.srcPort, t.dstPort].some((p) => p === 80 || p === 8080)) {
      const start = offset + t.headerLength;
      s += this.http(bytes.subarray(start, start + t.payloadLength));
    }
    return s;
  }

  /** print-http.c: the first line of a request or response; -v every header line. */
  private http(payload: Uint8Array): string {
    let text = "";
    for (let i = 0; i < payload.length && i < 4096; i++) text += String.fromCharCode(payload[i]!);
    const lines = text.split("\r\n");
    const first = lines[0] ?? "";
    if (!HTTP_FIRST_LINE.test(first)) return ": HTTP";
    if (!this.style.verbose) return `: HTTP: ${first}`;
    let s = `: HTTP, length: ${payload.length}`;
    for (const line of lines) {
      s += `\n\t${line}`;
      if (line === "") break;
    }
    return s;
  }
}
