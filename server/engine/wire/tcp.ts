/**
 * The TCP header. Encoding writes the options Linux puts on a SYN (MSS, SACK
 * permitted, timestamps, window scale) in tcp_options_write's byte layout, only
 * those present in the repr, and computes the checksum over the IPv4
 * pseudo-header. Decoding parses every option into a wire-order list (for
 * display) and lifts the modelled ones into the repr; like Linux's
 * tcp_parse_options it stops at a malformed option instead of rejecting the
 * segment. Sequence space, state machines and SACK blocks on send are the
 * engine's.
 */
import { get16, get32, hex, put16, put32 } from "./bytes.js";
import { checksumAdd, checksumFinish, pseudoHeaderSum } from "./checksum.js";
import type { Ipv4Address } from "./ipv4-address.js";
import { IpProtocol } from "./ipv4.js";
import { err, ok, type Result } from "./result.js";

export const TCP_HEADER_LENGTH = 20;
export const TCP_MAX_HEADER_LENGTH = 60;

export interface TcpFlags {
  readonly fin: boolean;
  readonly syn: boolean;
  readonly rst: boolean;
  readonly psh: boolean;
  readonly ack: boolean;
  readonly urg: boolean;
  readonly ece: boolean;
  readonly cwr: boolean;
}

const NO_FLAGS: TcpFlags = { fin: false, syn: false, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false };

/** tcpFlags({ syn: true, ack: true }): the rest false, so reprs compare equal after a round trip. */
export function tcpFlags(set: Partial<TcpFlags>): TcpFlags {
  return { ...NO_FLAGS, ...set };
}

export interface TcpTimestamps {
  /** TSval, 32 bits. */
  readonly value: number;
  /** TSecr, 32 bits. */
  readonly echo: number;
}

export interface TcpRepr {
  readonly srcPort: number;
  readonly dstPort: number;
  /** 32 bits. */
  readonly seq: number;
  /** 32 bits; written as given even without the ACK flag (Linux sends 0 then). */
  readonly ack: number;
  readonly flags: TcpFlags;
  /** The raw 16-bit field, before any window scaling. */
  readonly window: number;
  readonly urgent: number;
  /** Option kind 2. */
  readonly mss?: number;
  /** Option kind 3, the shift count. */
  readonly windowScale?: number;
  /** Option kind 4; absent and false mean the same on the wire (decode leaves it absent). */
  readonly sackPermitted?: boolean;
  /** Option kind 8. */
  readonly timestamps?: TcpTimestamps;
}

/** One option as it appeared on the wire, for display; `malformed` ends the list as it ends Linux's parsing. */
export type TcpOption =
  | { readonly kind: "eol" }
  | { readonly kind: "nop" }
  | { readonly kind: "mss"; readonly value: number }
  | { readonly kind: "window-scale"; readonly shift: number }
  | { readonly kind: "sack-permitted" }
  | { readonly kind: "sack"; readonly blocks: readonly { readonly left: number; readonly right: number }[] }
  | { readonly kind: "timestamps"; readonly value: number; readonly echo: number }
  | { readonly kind: "unknown"; readonly type: number; readonly length: number }
  | { readonly kind: "malformed"; readonly type: number };

export interface DecodedTcp {
  readonly repr: TcpRepr;
  /** Data offset × 4. */
  readonly headerLength: number;
  /** The checksum field as received. */
  readonly checksum: number;
  readonly options: readonly TcpOption[];
  /** View into the input. */
  readonly payload: Uint8Array;
}

export interface DecodeTcpOptions {
  /** Default true. */
  readonly verifyChecksum?: boolean;
}

/** The options the stack sets on a segment: a TcpRepr's option fields alone. */
export type TcpHeaderOptions = Pick<TcpRepr, "mss" | "windowScale" | "sackPermitted" | "timestamps">;

export function tcpOptionsLength(repr: TcpHeaderOptions): number {
  let n = 0;
  if (repr.mss !== undefined) n += 4;
  if (repr.timestamps !== undefined) n += 12;
  else if (repr.sackPermitted === true) n += 4;
  if (repr.windowScale !== undefined) n += 4;
  return n;
}

export function tcpHeaderLength(repr: TcpRepr): number {
  return TCP_HEADER_LENGTH + tcpOptionsLength(repr);
}

function flagBits(f: TcpFlags): number {
  return (
    (f.fin ? 0x01 : 0) | (f.syn ? 0x02 : 0) | (f.rst ? 0x04 : 0) | (f.psh ? 0x08 : 0) |
    (f.ack ? 0x10 : 0) | (f.urg ? 0x20 : 0) | (f.ece ? 0x40 : 0) | (f.cwr ? 0x80 : 0)
  );
}

/**
 * Writes the header at buf[offset..) and the checksum over it plus the
 * payloadLength bytes that must already sit right after it.
 */
export function emitTcpHeader(
  buf: Uint8Array,
  offset: number,
  repr: TcpRepr,
  src: Ipv4Address,
  dst: Ipv4Address,
  payloadLength: number,
): void {
  const headerLength = tcpHeaderLength(repr);
  put16(buf, offset, repr.srcPort & 0xffff);
  put16(buf, offset + 2, repr.dstPort & 0xffff);
  put32(buf, offset + 4, repr.seq >>> 0);
  put32(buf, offset + 8, repr.ack >>> 0);
  buf[offset + 12] = (headerLength >>> 2) << 4;
  buf[offset + 13] = flagBits(repr.flags);
  put16(buf, offset + 14, repr.window & 0xffff);
  put16(buf, offset + 16, 0);
  put16(buf, offset + 18, repr.urgent & 0xffff);
  let o = offset + TCP_HEADER_LENGTH;
  if (repr.mss !== undefined) {
    put32(buf, o, 0x02040000 | (repr.mss & 0xffff));
    o += 4;
  }
  if (repr.timestamps !== undefined) {
    put32(buf, o, repr.sackPermitted === true ? 0x0402080a : 0x0101080a);
    put32(buf, o + 4, repr.timestamps.value >>> 0);
    put32(buf, o + 8, repr.timestamps.echo >>> 0);
    o += 12;
  } else if (repr.sackPermitted === true) {
    put32(buf, o, 0x01010402);
    o += 4;
  }
  if (repr.windowScale !== undefined) {
    put32(buf, o, 0x01030300 | (repr.windowScale & 0xff));
  }
  const segmentLength = headerLength + payloadLength;
  const sum = checksumAdd(pseudoHeaderSum(src, dst, IpProtocol.Tcp, segmentLength), buf, offset, offset + segmentLength);
  put16(buf, offset + 16, checksumFinish(sum));
}

export function encodeTcp(repr: TcpRepr, src: Ipv4Address, dst: Ipv4Address, payload: Uint8Array): Uint8Array {
  const headerLength = tcpHeaderLength(repr);
  const out = new Uint8Array(headerLength + payload.length);
  out.set(payload, headerLength);
  emitTcpHeader(out, 0, repr, src, dst, payload.length);
  return out;
}

/** `bytes` is the whole IP payload (TCP has no length field); src/dst feed the pseudo-header. */
export function decodeTcp(
  bytes: Uint8Array,
  src: Ipv4Address,
  dst: Ipv4Address,
  options?: DecodeTcpOptions,
): Result<DecodedTcp> {
  if (bytes.length < TCP_HEADER_LENGTH) {
    return err(`TCP segment too short: ${bytes.length} bytes, need at least ${TCP_HEADER_LENGTH}`);
  }
  const headerLength = (bytes[12]! >>> 4) * 4;
  if (headerLength < TCP_HEADER_LENGTH) {
    return err(`TCP data offset ${headerLength} bytes is less than the minimum ${TCP_HEADER_LENGTH}`);
  }
  if (headerLength > bytes.length) {
    return err(`TCP data offset ${headerLength} bytes exceeds the ${bytes.length}-byte segment`);
  }
  const checksum = get16(bytes, 16);
  if (options?.verifyChecksum !== false) {
    const pseudo = pseudoHeaderSum(src, dst, IpProtocol.Tcp, bytes.length);
    if (checksumFinish(checksumAdd(pseudo, bytes)) !== 0) {
      const expected = checksumFinish(checksumAdd(checksumAdd(pseudo, bytes, 0, 16), bytes, 18));
      return err(`TCP checksum ${hex(checksum, 4)} is wrong (expected ${hex(expected, 4)})`);
    }
  }
  const bits = bytes[13]!;
  const repr: {
    -readonly [K in keyof TcpRepr]: TcpRepr[K];
  } = {
    srcPort: get16(bytes, 0),
    dstPort: get16(bytes, 2),
    seq: get32(bytes, 4),
    ack: get32(bytes, 8),
    flags: {
      fin: (bits & 0x01) !== 0,
      syn: (bits & 0x02) !== 0,
      rst: (bits & 0x04) !== 0,
      psh: (bits & 0x08) !== 0,
      ack: (bits & 0x10) !== 0,
      urg: (bits & 0x20) !== 0,
      ece: (bits & 0x40) !== 0,
      cwr: (bits & 0x80) !== 0,
    },
    window: get16(bytes, 14),
    urgent: get16(bytes, 18),
  };
  const list = parseTcpOptions(bytes, TCP_HEADER_LENGTH, headerLength);
  for (const opt of list) {
    if (opt.kind === "mss") repr.mss = opt.value;
    else if (opt.kind === "window-scale") repr.windowScale = opt.shift;
    else if (opt.kind === "sack-permitted") repr.sackPermitted = true;
    else if (opt.kind === "timestamps") repr.timestamps = { value: opt.value, echo: opt.echo };
  }
  return ok({ repr, headerLength, checksum, options: list, payload: bytes.subarray(headerLength) });
}

function parseTcpOptions(bytes: Uint8Array, start: number, end: number): TcpOption[] {
  const list: TcpOption[] = [];
  let o = start;
  while (o < end) {
    const type = bytes[o]!;
    if (type === 0) {
      list.push({ kind: "eol" });
      break;
    }
    if (type === 1) {
      list.push({ kind: "nop" });
      o++;
      continue;
    }
    const length = o + 1 < end ? bytes[o + 1]! : 0;
    if (length < 2 || o + length > end) {
      list.push({ kind: "malformed", type });
      break;
    }
    if (type === 2 && length === 4) list.push({ kind: "mss", value: get16(bytes, o + 2) });
    else if (type === 3 && length === 3) list.push({ kind: "window-scale", shift: bytes[o + 2]! });
    else if (type === 4 && length === 2) list.push({ kind: "sack-permitted" });
    else if (type === 5 && length >= 10 && (length - 2) % 8 === 0) {
      const blocks: { left: number; right: number }[] = [];
      for (let b = o + 2; b < o + length; b += 8) blocks.push({ left: get32(bytes, b), right: get32(bytes, b + 4) });
      list.push({ kind: "sack", blocks });
    } else if (type === 8 && length === 10) {
      list.push({ kind: "timestamps", value: get32(bytes, o + 2), echo: get32(bytes, o + 6) });
    } else list.push({ kind: "unknown", type, length });
    o += length;
  }
  return list;
}

/** tcpdump's flag letters in its order: F S R P . U E W, or "none". */
export function formatTcpFlags(flags: TcpFlags): string {
  let s = "";
  if (flags.fin) s += "F";
  if (flags.syn) s += "S";
  if (flags.rst) s += "R";
  if (flags.psh) s += "P";
  if (flags.ack) s += ".";
  if (flags.urg) s += "U";
  if (flags.ece) s += "E";
  if (flags.cwr) s += "W";
  return s === "" ? "none" : s;
}

/** tcpdump's rendering of one option, e.g. "mss 1460", "sackOK", "TS val 1 ecr 0", "wscale 7". */
export function formatTcpOption(opt: TcpOption): string {
  switch (opt.kind) {
    case "eol": return "eol";
    case "nop": return "nop";
    case "mss": return `mss ${opt.value}`;
    case "window-scale": return `wscale ${opt.shift}`;
    case "sack-permitted": return "sackOK";
    case "sack": return `sack ${opt.blocks.length} ${opt.blocks.map((b) => `{${b.left}:${b.right}}`).join("")}`;
    case "timestamps": return `TS val ${opt.value} ecr ${opt.echo}`;
    case "unknown": return `unknown-${opt.type}`;
    case "malformed": return `bad opt`;
  }
}
