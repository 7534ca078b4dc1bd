/**
 * tcpdump's filter expressions (pcap-filter), the part students use: the
 * protocols `ether`, `ip`, `arp`, `icmp`, `tcp`, `udp` (and `ip6`, which
 * nothing here carries), `[src|dst] host A`, `[src|dst] net N[/len]`,
 * `[tcp|udp] [src|dst] port P`, `ether [src|dst] host MAC`, a bare address
 * (a host), `and`/`&&`, `or`/`||`, `not`/`!` and parentheses, and libpcap's
 * shorthand that repeats the last qualifiers ("host 10.0.0.1 or 10.0.0.2").
 * Primitives test the outermost headers, as the kernel's BPF filter does: a
 * VXLAN frame matches `udp port 4789`, not its inner ICMP. `host` and `net`
 * also match ARP's sender and target addresses, as libpcap's do.
 *
 * Byte-offset expressions (`icmp[0] == 8`), `portrange`, `vlan` and the rest
 * answer "not simulated"; malformed ones fail with libpcap's messages.
 */
import { fail } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";
import type { DecodedFrame } from "../wire/packet.js";
import { parseIpv4 } from "../wire/ipv4-address.js";

type Dir = "src" | "dst" | "any";
type Proto = "ether" | "ip" | "arp" | "tcp" | "udp" | "icmp" | "ip6";

export type FrameFilter =
  | { kind: "and" | "or"; left: FrameFilter; right: FrameFilter }
  | { kind: "not"; inner: FrameFilter }
  | { kind: "proto"; proto: Proto }
  | { kind: "net"; dir: Dir; proto: "ip" | "arp" | null; address: number; mask: number }
  | { kind: "port"; dir: Dir; proto: "tcp" | "udp" | null; port: number }
  | { kind: "ether"; dir: Dir; mac: string };

const PROTOS = new Set<string>(["ether", "ip", "arp", "tcp", "udp", "icmp", "ip6"]);
const KEYWORDS = new Set<string>([...PROTOS, "src", "dst", "host", "net", "port", "and", "or", "not", "&&", "||", "!", "(", ")"]);
const UNSIMULATED = new Set<string>([
  "portrange", "vlan", "mpls", "gateway", "broadcast", "multicast", "less", "greater", "len", "rarp", "sctp", "icmp6", "igmp",
  "pim", "vrrp", "proto", "protochain", "inbound", "outbound", "ifname", "on", "rnr", "rulenum", "reason", "rset", "srnr",
  "subrulenum", "action", "type", "subtype", "wlan", "atalk", "decnet", "iso", "stp", "ipx", "netbeui", "lat", "moprc", "mopdl",
  "fddi", "tr", "ppp", "slip", "link", "mask", "geneve", "vxlan",
]);

const syntaxError = (): never => fail("tcpdump: can't parse filter expression: syntax error", 1);

/** Splits the expression as libpcap's lexer does: parentheses and `!` stand alone, `&&`/`||` are words. */
function lex(text: string): string[] {
  return text
    .replace(/([()!])/g, " $1 ")
    .replace(/(&&|\|\|)/g, " $1 ")
    .split(/\s+/)
    .filter((t) => t !== "");
}

/** Parses the words after tcpdump's options (joined with spaces as tcpdump does); null when there are none. */
export function parseFilter(words: readonly string[]): FrameFilter | null {
  const text = words.join(" ");
  // Byte offsets and arithmetic (icmp[0] == 8, len > 100).
  if (/[[\]=<>]/.test(text)) notSimulated(`tcpdump '${text}'`);
  const tokens = lex(text);
  if (tokens.length === 0) return null;
  const p = new Parser(tokens);
  const f = p.expr();
  if (!p.done) syntaxError();
  return f;
}

interface Qualifiers {
  proto: Proto | null;
  dir: Dir;
  type: "host" | "net" | "port" | null;
}

class Parser {
  private i = 0;
  /** The qualifiers of the last primitive, for a bare id after and/or. */
  private last: Qualifiers | null = null;

  constructor(private readonly tokens: readonly string[]) {}

  get done(): boolean {
    return this.i >= this.tokens.length;
  }

  private peek(): string | undefined {
    return this.tokens[this.i];
  }

  private next(): string {
    const t = this.tokens[this.i++];
    if (t === undefined) syntaxError();
    return t!;
  }

  expr(): FrameFilter {
    let left = this.term();
    while (this.peek() === "or" || this.peek() === "||") {
      this.i++;
      left = { kind: "or", left, right: this.term() };
    }
    return left;
  }

  private term(): FrameFilter {
    let left = this.factor();
    for (;;) {
      const t = this.peek();
      if (t === "and" || t === "&&") {
        this.i++;
        left = { kind: "and", left, right: this.factor() };
      } else if (t !== undefined && t !== "or" && t !== "||" && t !== ")") {
        // libpcap: juxtaposed primitives are a syntax error.
        syntaxError();
      } else return left;
    }
  }

  private factor(): FrameFilter {
    const t = this.next();
    if (t === "not" || t === "!") return { kind: "not", inner: this.factor() };
    if (t === "(") {
      const inner = this.expr();
      if (this.next() !== ")") syntaxError();
      return inner;
    }
    this.i--;
    return this.primitive();
  }

  private primitive(): FrameFilter {
    const q: Qualifiers = { proto: null, dir: "any", type: null };
    let t = this.next();
    if (UNSIMULATED.has(t)) notSimulated(`tcpdump '${t}'`);
    if (!KEYWORDS.has(t)) {
      // A bare id: the previous primitive's qualifiers, or a host.
      const inherited = this.last ?? { proto: null, dir: "any", type: "host" };
      return this.id(t, { ...inherited, type: inherited.type ?? "host" });
    }
    if (PROTOS.has(t)) {
      q.proto = t as Proto;
      const n = this.peek();
      if (n === undefined || !["src", "dst", "host", "net", "port"].includes(n)) {
        this.last = null;
        return { kind: "proto", proto: q.proto };
      }
      t = this.next();
    }
    if (t === "src" || t === "dst") {
      q.dir = t;
      const n = this.peek();
      if (n === "or" || n === "and") notSimulated(`tcpdump '${t} ${n} ${this.tokens[this.i + 1] ?? ""}'`.trim());
      t = this.next();
    }
    if (t === "host" || t === "net" || t === "port") {
      q.type = t;
      t = this.next();
    } else if (KEYWORDS.has(t) || UNSIMULATED.has(t)) syntaxError();
    this.last = { ...q };
    return this.id(t, { ...q, type: q.type ?? "host" });
  }

  private id(value: string, q: Qualifiers): FrameFilter {
    if (KEYWORDS.has(value)) syntaxError();
    if (q.proto === "ether") {
      if (q.type !== "host") syntaxError();
      if (!/^([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}$/i.test(value)) fail(`tcpdump: unknown ether host '${value}'`, 1);
      const mac = value.split(":").map((b) => b.toLowerCase().padStart(2, "0")).join(":");
      return { kind: "ether", dir: q.dir, mac };
    }
    if (q.type === "port") {
      if (!/^\d+$/.test(value)) fail(`tcpdump: unknown port '${value}'`, 1);
      const port = Number(value);
      if (port > 65535) fail(`tcpdump: illegal port number ${port} > 65535`, 1);
      if (q.proto !== null && q.proto !== "tcp" && q.proto !== "udp") fail(`tcpdump: illegal qualifier of 'port'`, 1);
      return { kind: "port", dir: q.dir, proto: q.proto, port };
    }
    if (q.proto !== null && q.proto !== "ip" && q.proto !== "arp") fail(`tcpdump: '${q.proto}' modifier applied to ${q.type}`, 1);
    const proto = q.proto;
    if (q.type === "net") {
      const m = /^(\d+(?:\.\d+){0,3})(?:\/(\d+))?$/.exec(value);
      if (m === null) fail(`tcpdump: unknown network '${value}'`, 1);
      const octets = m![1]!.split(".").map(Number);
      if (octets.some((o) => o > 255)) fail(`tcpdump: unknown network '${value}'`, 1);
      const len = m![2] !== undefined ? Number(m![2]) : octets.length * 8;
      if (len > 32) fail("tcpdump: mask length must be <= 32", 1);
      while (octets.length < 4) octets.push(0);
      const address = ((octets[0]! << 24) | (octets[1]! << 16) | (octets[2]! << 8) | octets[3]!) >>> 0;
      const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
      if ((address & ~mask) >>> 0 !== 0) fail(`tcpdump: non-network bits set in "${value}"`, 1);
      return { kind: "net", dir: q.dir, proto, address, mask };
    }
    const address = parseIpv4(value);
    if (!address.ok) fail(`tcpdump: unknown host '${value}'`, 1);
    return { kind: "net", dir: q.dir, proto, address: address.value, mask: 0xffffffff };
  }
}

const ipNumber = (s: string): number => {
  const r = parseIpv4(s);
  return r.ok ? r.value : -1;
};

/** Whether the frame passes the filter; layers as decodeFrame gives them, outermost first. */
export function matchFilter(f: FrameFilter, layers: DecodedFrame): boolean {
  switch (f.kind) {
    case "and":
      return matchFilter(f.left, layers) && matchFilter(f.right, layers);
    case "or":
      return matchFilter(f.left, layers) || matchFilter(f.right, layers);
    case "not":
      return !matchFilter(f.inner, layers);
    case "proto": {
      const l1 = layers[1];
      switch (f.proto) {
        case "ether":
          return layers[0]?.kind === "ethernet";
        case "ip":
          return l1?.kind === "ipv4";
        case "arp":
          return l1?.kind === "arp";
        case "ip6":
          return false;
        case "icmp":
          return l1?.kind === "ipv4" && l1.protocol === 1;
        case "tcp":
          return l1?.kind === "ipv4" && l1.protocol === 6;
        case "udp":
          return l1?.kind === "ipv4" && l1.protocol === 17;
      }
      break;
    }
    case "ether": {
      const eth = layers[0];
      if (eth?.kind !== "ethernet") return false;
      return (f.dir !== "dst" && eth.src === f.mac) || (f.dir !== "src" && eth.dst === f.mac);
    }
    case "net": {
      const l1 = layers[1];
      const inNet = (ip: string) => ((ipNumber(ip) & f.mask) >>> 0) === f.address;
      if (l1?.kind === "ipv4" && f.proto !== "arp") return (f.dir !== "dst" && inNet(l1.src)) || (f.dir !== "src" && inNet(l1.dst));
      if (l1?.kind === "arp" && f.proto !== "ip") return (f.dir !== "dst" && inNet(l1.senderIp)) || (f.dir !== "src" && inNet(l1.targetIp));
      return false;
    }
    case "port": {
      const l1 = layers[1];
      const l2 = layers[2];
      if (l1?.kind !== "ipv4" || l1.fragmentOffset !== 0) return false;
      if (l2?.kind !== "tcp" && l2?.kind !== "udp") return false;
      if (f.proto !== null && f.proto !== l2.kind) return false;
      return (f.dir !== "dst" && l2.srcPort === f.port) || (f.dir !== "src" && l2.dstPort === f.port);
    }
    default: {
      const never: never = f;
      return never;
    }
  }
}
