/**
 * ICMPv4 messages the simulated stacks send and answer: echo request/reply,
 * destination unreachable (with RFC 1191 next-hop MTU for "fragmentation
 * needed") and time exceeded, each error quoting the offending datagram. Any
 * other type/code decodes to an `other` variant that keeps its bytes, so nothing
 * is lost in a trace. Rate limiting and when to send an error are the engine's.
 */
import { get16, hex, put16 } from "./bytes.js";
import { checksumAdd, checksumFinish, internetChecksum } from "./checksum.js";
import { ipv4FromBytes, type Ipv4Address } from "./ipv4-address.js";
import { IpProtocol } from "./ipv4.js";
import { err, ok, type Result } from "./result.js";

export const ICMP_HEADER_LENGTH = 8;

export const IcmpType = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  EchoRequest: 8,
  TimeExceeded: 11,
} as const;

export const IcmpUnreachableCode = {
  Net: 0,
  Host: 1,
  Protocol: 2,
  Port: 3,
  FragmentationNeeded: 4,
  SourceRouteFailed: 5,
  NetUnknown: 6,
  HostUnknown: 7,
  HostIsolated: 8,
  NetProhibited: 9,
  HostProhibited: 10,
  NetTos: 11,
  HostTos: 12,
  AdminProhibited: 13,
  HostPrecedence: 14,
  PrecedenceCutoff: 15,
} as const;

/** Every unreachable code except 4, which has its own variant because it alone carries an MTU. */
export type IcmpUnreachableCode = 0 | 1 | 2 | 3 | 5 | 6 | 7 | 8 | 9 | 10 | 11 | 12 | 13 | 14 | 15;

/** 0: TTL exceeded in transit (what traceroute elicits); 1: fragment reassembly time exceeded. */
export type IcmpTimeExceededCode = 0 | 1;

export type IcmpRepr =
  | { readonly type: "echo-request"; readonly identifier: number; readonly sequence: number; readonly data: Uint8Array }
  | { readonly type: "echo-reply"; readonly identifier: number; readonly sequence: number; readonly data: Uint8Array }
  | { readonly type: "destination-unreachable"; readonly code: IcmpUnreachableCode; readonly original: Uint8Array }
  | {
      readonly type: "destination-unreachable";
      readonly code: 4;
      /** 16 bits (RFC 1191); Linux puts the egress route's MTU here. */
      readonly nextHopMtu: number;
      readonly original: Uint8Array;
    }
  | { readonly type: "time-exceeded"; readonly code: IcmpTimeExceededCode; readonly original: Uint8Array }
  | {
      /**
       * Any type/code the variants above do not model (redirect, echo with a
       * non-zero code…). `rest` is everything after the checksum. Encoding a
       * modelled type/code through `other` decodes back as the modelled variant.
       */
      readonly type: "other";
      readonly icmpType: number;
      readonly code: number;
      readonly rest: Uint8Array;
    };

export type IcmpErrorRepr = Extract<IcmpRepr, { type: "destination-unreachable" | "time-exceeded" }>;

export interface DecodedIcmp {
  readonly repr: IcmpRepr;
  /** The checksum field as received. */
  readonly checksum: number;
}

export interface DecodeIcmpOptions {
  /** Default true. Turn off for the first fragment of a datagram, whose checksum covers bytes not present. */
  readonly verifyChecksum?: boolean;
}

/**
 * Linux quotes as much of the offending datagram as keeps the error within 576
 * bytes (icmp_send: 576 − 20 IP − 8 ICMP), not just RFC 792's header + 8 bytes.
 */
export const LINUX_ICMP_QUOTE_LIMIT = 548;

/** The part of an offending IPv4 datagram an error message should quote (a view, no copy). */
export function icmpErrorQuote(ipPacket: Uint8Array, limit = LINUX_ICMP_QUOTE_LIMIT): Uint8Array {
  return ipPacket.subarray(0, Math.min(ipPacket.length, limit));
}

export function icmpLength(repr: IcmpRepr): number {
  switch (repr.type) {
    case "echo-request":
    case "echo-reply":
      return ICMP_HEADER_LENGTH + repr.data.length;
    case "destination-unreachable":
    case "time-exceeded":
      return ICMP_HEADER_LENGTH + repr.original.length;
    case "other":
      return 4 + repr.rest.length;
  }
}

/** Writes the whole message, checksum included, at buf[offset..offset+icmpLength(repr)). */
export function emitIcmp(buf: Uint8Array, offset: number, repr: IcmpRepr): void {
  let body: Uint8Array;
  switch (repr.type) {
    case "echo-request":
    case "echo-reply":
      buf[offset] = repr.type === "echo-request" ? IcmpType.EchoRequest : IcmpType.EchoReply;
      buf[offset + 1] = 0;
      put16(buf, offset + 4, repr.identifier & 0xffff);
      put16(buf, offset + 6, repr.sequence & 0xffff);
      body = repr.data;
      break;
    case "destination-unreachable":
      buf[offset] = IcmpType.DestinationUnreachable;
      buf[offset + 1] = repr.code;
      put16(buf, offset + 4, 0);
      put16(buf, offset + 6, repr.code === 4 ? repr.nextHopMtu & 0xffff : 0);
      body = repr.original;
      break;
    case "time-exceeded":
      buf[offset] = IcmpType.TimeExceeded;
      buf[offset + 1] = repr.code;
      put16(buf, offset + 4, 0);
      put16(buf, offset + 6, 0);
      body = repr.original;
      break;
    case "other":
      buf[offset] = repr.icmpType;
      buf[offset + 1] = repr.code;
      buf[offset + 2] = 0;
      buf[offset + 3] = 0;
      buf.set(repr.rest, offset + 4);
      put16(buf, offset + 2, internetChecksum(buf, offset, offset + 4 + repr.rest.length));
      return;
  }
  buf[offset + 2] = 0;
  buf[offset + 3] = 0;
  buf.set(body, offset + ICMP_HEADER_LENGTH);
  put16(buf, offset + 2, internetChecksum(buf, offset, offset + ICMP_HEADER_LENGTH + body.length));
}

export function encodeIcmp(repr: IcmpRepr): Uint8Array {
  const out = new Uint8Array(icmpLength(repr));
  emitIcmp(out, 0, repr);
  return out;
}

/** `bytes` is the whole IP payload: ICMP has no length field of its own. Views into the input are returned. */
export function decodeIcmp(bytes: Uint8Array, options?: DecodeIcmpOptions): Result<DecodedIcmp> {
  if (bytes.length < ICMP_HEADER_LENGTH) {
    return err(`ICMP message too short: ${bytes.length} bytes, need at least ${ICMP_HEADER_LENGTH}`);
  }
  const checksum = get16(bytes, 2);
  if (options?.verifyChecksum !== false && internetChecksum(bytes) !== 0) {
    const expected = checksumFinish(checksumAdd(checksumAdd(0, bytes, 0, 2), bytes, 4));
    return err(`ICMP checksum ${hex(checksum, 4)} is wrong (expected ${hex(expected, 4)})`);
  }
  return ok({ repr: icmpReprFrom(bytes), checksum });
}

function icmpReprFrom(bytes: Uint8Array): IcmpRepr {
  const type = bytes[0]!;
  const code = bytes[1]!;
  const body = bytes.subarray(ICMP_HEADER_LENGTH);
  if (type === IcmpType.EchoRequest && code === 0) {
    return { type: "echo-request", identifier: get16(bytes, 4), sequence: get16(bytes, 6), data: body };
  }
  if (type === IcmpType.EchoReply && code === 0) {
    return { type: "echo-reply", identifier: get16(bytes, 4), sequence: get16(bytes, 6), data: body };
  }
  if (type === IcmpType.DestinationUnreachable && code <= 15) {
    if (code === 4) return { type: "destination-unreachable", code: 4, nextHopMtu: get16(bytes, 6), original: body };
    return { type: "destination-unreachable", code: code as IcmpUnreachableCode, original: body };
  }
  if (type === IcmpType.TimeExceeded && (code === 0 || code === 1)) {
    return { type: "time-exceeded", code, original: body };
  }
  return { type: "other", icmpType: type, code, rest: bytes.subarray(4) };
}

/** What an ICMP error says about the datagram it quotes: enough to find the socket or conntrack entry it concerns. */
export interface QuotedDatagram {
  readonly src: Ipv4Address;
  readonly dst: Ipv4Address;
  readonly protocol: number;
  /** The quoted datagram's own Total Length (it is usually longer than the quote). */
  readonly totalLength: number;
  /** TCP/UDP ports, when the quote reaches them. */
  readonly srcPort?: number;
  readonly dstPort?: number;
  /** The quoted transport bytes (RFC 792 guarantees at least 8 when the sender obeys it). */
  readonly transport: Uint8Array;
}

/** Lenient on purpose: a quote is truncated by design and its checksum is not ours to judge. Null when no IPv4 header is there. */
export function parseQuotedDatagram(original: Uint8Array): QuotedDatagram | null {
  if (original.length < 20 || original[0]! >>> 4 !== 4) return null;
  const headerLength = (original[0]! & 0x0f) * 4;
  if (headerLength < 20 || headerLength > original.length) return null;
  const protocol = original[9]!;
  const transport = original.subarray(headerLength);
  const hasPorts = (protocol === IpProtocol.Tcp || protocol === IpProtocol.Udp) && transport.length >= 4;
  const base = {
    src: ipv4FromBytes(original, 12),
    dst: ipv4FromBytes(original, 16),
    protocol,
    totalLength: get16(original, 2),
    transport,
  };
  return hasPorts ? { ...base, srcPort: get16(transport, 0), dstPort: get16(transport, 2) } : base;
}
