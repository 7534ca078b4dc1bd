/**
 * DNS messages (RFC 1035) as they travel in a UDP datagram: the 12-byte
 * header, the question section and the resource records of the answer,
 * authority and additional sections. Names are written with compression
 * pointers (each suffix already written is pointed to, as resolvers and
 * CoreDNS do) and read with pointers followed, loops and overlong names
 * refused. A, SOA and anything else as raw rdata: enough for the cluster's
 * DNS (A answers, NXDOMAIN with the zone's SOA, dig's EDNS OPT record).
 * Encode/decode only: resolving and serving are the engine's.
 */
import { get16, get32 } from "./bytes.js";
import { err, ok, type Result } from "./result.js";

export const DNS_PORT = 53;
export const DNS_HEADER_LENGTH = 12;

/** The record types named here; any other prints as TYPEn. */
export const DnsType = { A: 1, NS: 2, CNAME: 5, SOA: 6, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, OPT: 41 } as const;
export const DNS_CLASS_IN = 1;

/** RCODE values a resolver reports by name. */
export const DnsRcode = { NoError: 0, FormErr: 1, ServFail: 2, NXDomain: 3, NotImp: 4, Refused: 5 } as const;

export interface DnsHeader {
  readonly id: number;
  /** QR: false for a query, true for a response. */
  readonly response: boolean;
  readonly opcode: number;
  /** AA: the server is authoritative for the name. */
  readonly authoritative: boolean;
  readonly truncated: boolean;
  readonly recursionDesired: boolean;
  readonly recursionAvailable: boolean;
  readonly authenticData: boolean;
  readonly checkingDisabled: boolean;
  readonly rcode: number;
}

export interface DnsQuestion {
  /** Without the trailing dot; "" is the root. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
}

export interface DnsSoa {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

export type DnsRecordData =
  | { readonly kind: "a"; readonly address: number }
  | { readonly kind: "soa"; readonly soa: DnsSoa }
  /** Any other type (AAAA, OPT's options…) as its rdata bytes. */
  | { readonly kind: "raw"; readonly bytes: Uint8Array };

export interface DnsRecord {
  readonly name: string;
  readonly type: number;
  /** For OPT (EDNS), the requester's UDP payload size. */
  readonly class: number;
  /** For OPT, the extended RCODE, version and flags. */
  readonly ttl: number;
  readonly data: DnsRecordData;
}

export interface DnsMessage {
  readonly header: DnsHeader;
  readonly questions: readonly DnsQuestion[];
  readonly answers: readonly DnsRecord[];
  readonly authority: readonly DnsRecord[];
  readonly additional: readonly DnsRecord[];
}

const MAX_NAME = 255;
const MAX_LABEL = 63;

export function dnsTypeName(type: number): string {
  for (const [name, value] of Object.entries(DnsType)) if (value === type) return name;
  return `TYPE${type}`;
}

/** A message's wire bytes; throws RangeError for a label over 63 bytes or a name over 255, as no encoder may send them. */
export function encodeDns(m: DnsMessage): Uint8Array {
  const out: number[] = [];
  const seen = new Map<string, number>();
  const h = m.header;
  const flags =
    (h.response ? 0x8000 : 0) |
    ((h.opcode & 15) << 11) |
    (h.authoritative ? 0x0400 : 0) |
    (h.truncated ? 0x0200 : 0) |
    (h.recursionDesired ? 0x0100 : 0) |
    (h.recursionAvailable ? 0x0080 : 0) |
    (h.authenticData ? 0x0020 : 0) |
    (h.checkingDisabled ? 0x0010 : 0) |
    (h.rcode & 15);
  const u16 = (v: number) => out.push((v >>> 8) & 0xff, v & 0xff);
  const u32 = (v: number) => out.push((v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  const name = (n: string) => {
    const labels = n === "" ? [] : n.split(".");
    if (labels.reduce((s, l) => s + l.length + 1, 1) > MAX_NAME) throw new RangeError(`DNS name ${n} is longer than ${MAX_NAME} bytes`);
    for (let i = 0; i < labels.length; i++) {
      const suffix = labels.slice(i).join(".").toLowerCase();
      const at = seen.get(suffix);
      if (at !== undefined) {
        u16(0xc000 | at);
        return;
      }
      // Only offsets a 14-bit pointer reaches can be pointed to later.
      if (out.length < 0x4000) seen.set(suffix, out.length);
      const bytes = new TextEncoder().encode(labels[i]!);
      if (bytes.length === 0 || bytes.length > MAX_LABEL) throw new RangeError(`DNS label "${labels[i]}" must be 1 to ${MAX_LABEL} bytes`);
      out.push(bytes.length, ...bytes);
    }
    out.push(0);
  };
  const record = (r: DnsRecord) => {
    name(r.name);
    u16(r.type);
    u16(r.class);
    u32(r.ttl);
    const lengthAt = out.length;
    u16(0);
    const d = r.data;
    switch (d.kind) {
      case "a":
        u32(d.address);
        break;
      case "soa":
        name(d.soa.mname);
        name(d.soa.rname);
        for (const v of [d.soa.serial, d.soa.refresh, d.soa.retry, d.soa.expire, d.soa.minimum]) u32(v);
        break;
      case "raw":
        out.push(...d.bytes);
        break;
    }
    const length = out.length - lengthAt - 2;
    out[lengthAt] = length >>> 8;
    out[lengthAt + 1] = length & 0xff;
  };
  u16(h.id);
  u16(flags);
  for (const n of [m.questions.length, m.answers.length, m.authority.length, m.additional.length]) u16(n);
  for (const q of m.questions) {
    name(q.name);
    u16(q.type);
    u16(q.class);
  }
  for (const r of [...m.answers, ...m.authority, ...m.additional]) record(r);
  return Uint8Array.from(out);
}

/** Reads a name at `offset`: its text and where the bytes after it start (past the first pointer, if any). */
function readName(b: Uint8Array, offset: number): Result<{ name: string; next: number }> {
  const labels: string[] = [];
  let at = offset;
  let next = -1;
  let length = 1;
  // Every pointer must go back before the label that holds it: no loops, and at most as many jumps as bytes.
  let limit = at;
  for (;;) {
    if (at >= b.length) return err(`DNS name at offset ${offset} runs past the end of the message`);
    const len = b[at]!;
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= b.length) return err(`DNS compression pointer at offset ${at} is cut short`);
      const target = ((len & 0x3f) << 8) | b[at + 1]!;
      if (target >= limit) return err(`DNS compression pointer at offset ${at} does not point backwards (to ${target})`);
      if (next < 0) next = at + 2;
      limit = target;
      at = target;
      continue;
    }
    if ((len & 0xc0) !== 0) return err(`DNS label type 0x${(len & 0xc0).toString(16)} at offset ${at} is not supported`);
    if (len === 0) {
      if (next < 0) next = at + 1;
      break;
    }
    if (at + 1 + len > b.length) return err(`DNS label at offset ${at} runs past the end of the message`);
    length += len + 1;
    if (length > MAX_NAME) return err(`DNS name at offset ${offset} is longer than ${MAX_NAME} bytes`);
    labels.push(new TextDecoder().decode(b.subarray(at + 1, at + 1 + len)));
    at += 1 + len;
  }
  return ok({ name: labels.join("."), next });
}

function readRecord(b: Uint8Array, offset: number): Result<{ record: DnsRecord; next: number }> {
  const n = readName(b, offset);
  if (!n.ok) return n;
  const at = n.value.next;
  if (at + 10 > b.length) return err(`DNS resource record at offset ${offset} is cut short`);
  const type = get16(b, at);
  const rdLength = get16(b, at + 8);
  const rd = at + 10;
  if (rd + rdLength > b.length) return err(`DNS rdata of ${rdLength} bytes at offset ${rd} runs past the end of the message`);
  let data: DnsRecordData = { kind: "raw", bytes: b.slice(rd, rd + rdLength) };
  if (type === DnsType.A) {
    if (rdLength !== 4) return err(`DNS A record with ${rdLength} bytes of rdata (need 4)`);
    data = { kind: "a", address: get32(b, rd) };
  } else if (type === DnsType.SOA) {
    const mname = readName(b, rd);
    if (!mname.ok) return mname;
    const rname = readName(b, mname.value.next);
    if (!rname.ok) return rname;
    const f = rname.value.next;
    if (f + 20 !== rd + rdLength) return err(`DNS SOA record's rdata does not end after its five numbers`);
    data = { kind: "soa", soa: { mname: mname.value.name, rname: rname.value.name, serial: get32(b, f), refresh: get32(b, f + 4), retry: get32(b, f + 8), expire: get32(b, f + 12), minimum: get32(b, f + 16) } };
  }
  return ok({ record: { name: n.value.name, type, class: get16(b, at + 2), ttl: get32(b, at + 4), data }, next: rd + rdLength });
}

export function decodeDns(b: Uint8Array): Result<DnsMessage> {
  if (b.length < DNS_HEADER_LENGTH) return err(`DNS message too short: ${b.length} bytes, need at least ${DNS_HEADER_LENGTH}`);
  const flags = get16(b, 2);
  const header: DnsHeader = {
    id: get16(b, 0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 15,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    authenticData: (flags & 0x0020) !== 0,
    checkingDisabled: (flags & 0x0010) !== 0,
    rcode: flags & 15,
  };
  const counts = [get16(b, 4), get16(b, 6), get16(b, 8), get16(b, 10)] as const;
  let at = DNS_HEADER_LENGTH;
  const questions: DnsQuestion[] = [];
  for (let i = 0; i < counts[0]; i++) {
    const n = readName(b, at);
    if (!n.ok) return n;
    at = n.value.next;
    if (at + 4 > b.length) return err(`DNS question ${i + 1} is cut short`);
    questions.push({ name: n.value.name, type: get16(b, at), class: get16(b, at + 2) });
    at += 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let i = 0; i < counts[s + 1]!; i++) {
      const r = readRecord(b, at);
      if (!r.ok) return r;
      sections[s]!.push(r.value.record);
      at = r.value.next;
    }
  }
  return ok({ header, questions, answers: sections[0]!, authority: sections[1]!, additional: sections[2]! });
}

