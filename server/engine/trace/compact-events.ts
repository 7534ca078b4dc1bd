/**
 * The compact form trace events are stored in, and its way back to the JSON
 * serializeEvent writes, byte for byte. A ping round trip is about 28 events
 * and 16 KB of JSON, most of it the same strings again (hosts, devices, the
 * iptables rules each packet walks past, the decoded frame repeated in every
 * event about it); writing all of that and then compressing it cost several
 * times what simulating the round trip did. Here every distinct string, and
 * every frame's decoded layers, is written once per batch as text, and each
 * event is a few varints: a round trip is about 2 KB before compression.
 * JSON is made only when a client reads the events (decodeEventsCompact),
 * through the same rules serializeEvent follows, which a test holds to
 * serializeEvent over every lab's events; with each event come the fields a
 * filter reads (event-text.ts), known here without reading the JSON again.
 *
 * Layout of one batch (integers are unsigned LEB128 varints):
 *   textCount, textBytes, then the texts' UTF-8, joined by "\n"
 *   eventCount
 *   per event: kind (a text), seq and time (zigzag deltas from the previous
 *   event's, the first from 0), host, namespace, device (0 for null, else
 *   text + 1), packetId (0 for null, else number + 1), summary, layers (0 for
 *   null, else text + 1), then the kind's own fields in event-fields.ts's
 *   order: a string is its text, a nullable one 0 or text + 1, a number as
 *   below, a nullable one 0 or number + 1, a boolean 0 or 1, a list of strings
 *   its length and then its texts.
 *   A number n is 2n when n is an integer from 0 to 2^50; any other is
 *   2t + 1, t a text holding its JSON.
 * A text is a string's JSON between its quotes, a frame's layers as JSON, or
 * a number's JSON. None holds a raw newline (JSON escapes it), hence the
 * separator. A change of this layout is a new stored format
 * (server/simulator/stored-trace.ts names each by its magic).
 */
import { EVENT_FIELDS, type FieldType } from "./event-fields.js";
import { unescapeJsonString, type EventText } from "./event-text.js";
import { num, raw } from "./serialize-event.js";
import type { TraceEvent, TraceEventKind } from "./trace-event.js";

const MAX_PLAIN = 2 ** 50;

class ByteWriter {
  bytes = new Uint8Array(8192);
  length = 0;

  varint(v: number): void {
    if (this.length + 10 > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    const b = this.bytes;
    let at = this.length;
    if (v <= 0x7fffffff) {
      while (v >= 0x80) {
        b[at++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v >= 0x80) {
        b[at++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
    }
    b[at++] = v;
    this.length = at;
  }
}

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzigzag = (v: number): number => (v % 2 === 0 ? v / 2 : -(v + 1) / 2);

/** The texts of one batch, each written once: strings by value, layers by identity. */
class Texts {
  readonly list: string[] = [];
  private readonly strings = new Map<string, number>();
  private readonly layers = new Map<object, number>();
  private readonly numbers = new Map<string, number>();

  str(s: string): number {
    let ref = this.strings.get(s);
    if (ref === undefined) {
      ref = this.list.push(raw(s)) - 1;
      this.strings.set(s, ref);
    }
    return ref;
  }

  layersOf(layers: object): number {
    let ref = this.layers.get(layers);
    if (ref === undefined) {
      ref = this.list.push(JSON.stringify(layers)) - 1;
      this.layers.set(layers, ref);
    }
    return ref;
  }

  number(n: number): number {
    if (Number.isInteger(n) && n >= 0 && n <= MAX_PLAIN) return n * 2;
    const text = num(n);
    let ref = this.numbers.get(text);
    if (ref === undefined) {
      ref = this.list.push(text) - 1;
      this.numbers.set(text, ref);
    }
    return ref * 2 + 1;
  }
}

function checkedInteger(what: string, v: number): number {
  if (!Number.isSafeInteger(v)) throw new Error(`compact trace: an event's ${what} is not an integer: ${v}`);
  return v;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A batch of events in the compact form. */
export function encodeEventsCompact(events: readonly TraceEvent[]): Uint8Array {
  const texts = new Texts();
  const w = new ByteWriter();
  w.varint(events.length);
  let seq = 0;
  let time = 0;
  for (const e of events) {
    w.varint(texts.str(e.kind));
    w.varint(zigzag(checkedInteger("seq", e.seq) - seq));
    w.varint(zigzag(checkedInteger("time", e.time) - time));
    seq = e.seq;
    time = e.time;
    w.varint(texts.str(e.host));
    w.varint(texts.str(e.namespace));
    w.varint(e.device === null ? 0 : texts.str(e.device) + 1);
    w.varint(e.packetId === null ? 0 : texts.number(e.packetId) + 1);
    w.varint(texts.str(e.summary));
    w.varint(e.layers === null ? 0 : texts.layersOf(e.layers) + 1);
    const fields = e as unknown as Record<string, unknown>;
    for (const { name, type } of EVENT_FIELDS[e.kind]) {
      const v = fields[name];
      switch (type) {
        case "str":
          w.varint(texts.str(v as string));
          break;
        case "str?":
          w.varint(v === null ? 0 : texts.str(v as string) + 1);
          break;
        case "num":
          w.varint(texts.number(v as number));
          break;
        case "num?":
          w.varint(v === null ? 0 : texts.number(v as number) + 1);
          break;
        case "bool":
          w.varint(v === true ? 1 : 0);
          break;
        case "strs":
          w.varint((v as string[]).length);
          for (const s of v as string[]) w.varint(texts.str(s));
          break;
        default:
          assertNeverType(type);
      }
    }
  }
  const textBytes = encoder.encode(texts.list.join("\n"));
  const head = new ByteWriter();
  head.varint(texts.list.length);
  head.varint(textBytes.length);
  const out = new Uint8Array(head.length + textBytes.length + w.length);
  out.set(head.bytes.subarray(0, head.length), 0);
  out.set(textBytes, head.length);
  out.set(w.bytes.subarray(0, w.length), head.length + textBytes.length);
  return out;
}

function assertNeverType(type: never): never {
  throw new Error(`compact trace: unknown field type ${String(type)}`);
}

/** Each kind's fields with the JSON text that comes before each value. */
const FIELD_PREFIXES = Object.fromEntries(
  Object.entries(EVENT_FIELDS).map(([kind, fields]) => [kind, fields.map((f) => ({ type: f.type, prefix: `,"${f.name}":` }))]),
) as Record<TraceEventKind, { type: FieldType; prefix: string }[]>;

class ByteReader {
  at = 0;
  constructor(private readonly bytes: Uint8Array) {}

  varint(): number {
    const b = this.bytes;
    let v = 0;
    let scale = 1;
    for (;;) {
      if (this.at >= b.length) throw new Error("compact trace: the batch ends inside a number");
      const byte = b[this.at++]!;
      v += (byte & 0x7f) * scale;
      if (byte < 0x80) return v;
      scale *= 0x80;
    }
  }
}

/** Each event of a batch, its JSON the text serializeEvent would have written for it. */
export function decodeEventsCompact(bytes: Uint8Array): EventText[] {
  const r = new ByteReader(bytes);
  const textCount = r.varint();
  const textLength = r.varint();
  if (r.at + textLength > bytes.length) throw new Error("compact trace: the texts run past the batch");
  const texts = textCount === 0 ? [] : decoder.decode(bytes.subarray(r.at, r.at + textLength)).split("\n");
  if (texts.length !== textCount) throw new Error(`compact trace: ${texts.length} texts where the batch says ${textCount}`);
  r.at += textLength;
  const text = (ref: number): string => {
    const t = texts[ref];
    if (t === undefined) throw new Error(`compact trace: text ${ref} of ${textCount}`);
    return t;
  };
  const number = (code: number): string => (code % 2 === 0 ? `${code / 2}` : text((code - 1) / 2));
  // Hosts, namespaces and devices as strings again, once per text.
  const plain = new Array<string | undefined>(textCount);
  const plainText = (ref: number): string => (plain[ref] ??= unescapeJsonString(text(ref)));
  const count = r.varint();
  const out = new Array<EventText>(count);
  let seq = 0;
  let time = 0;
  for (let i = 0; i < count; i++) {
    const kind = text(r.varint()) as TraceEventKind;
    const fields = FIELD_PREFIXES[kind];
    if (fields === undefined) throw new Error(`compact trace: unknown event kind "${kind}"`);
    seq += unzigzag(r.varint());
    time += unzigzag(r.varint());
    const hostRef = r.varint();
    const host = text(hostRef);
    const namespaceRef = r.varint();
    const namespace = text(namespaceRef);
    const device = r.varint();
    const packetId = r.varint();
    const summary = text(r.varint());
    const layers = r.varint();
    let json =
      `{"seq":${seq},"time":${time},"kind":"${kind}","host":"${host}","namespace":"${namespace}"` +
      `,"device":${device === 0 ? "null" : `"${text(device - 1)}"`},"packetId":${packetId === 0 ? "null" : number(packetId - 1)},"summary":"${summary}"`;
    for (const { type, prefix } of fields) {
      const v = r.varint();
      switch (type) {
        case "str":
          json += `${prefix}"${text(v)}"`;
          break;
        case "str?":
          json += v === 0 ? `${prefix}null` : `${prefix}"${text(v - 1)}"`;
          break;
        case "num":
          json += prefix + number(v);
          break;
        case "num?":
          json += v === 0 ? `${prefix}null` : prefix + number(v - 1);
          break;
        case "bool":
          json += v === 0 ? `${prefix}false` : `${prefix}true`;
          break;
        case "strs": {
          json += `${prefix}[`;
          for (let k = 0; k < v; k++) json += `${k === 0 ? "" : ","}"${text(r.varint())}"`;
          json += "]";
          break;
        }
        default:
          assertNeverType(type);
      }
    }
    out[i] = {
      seq,
      kind,
      host: plainText(hostRef),
      namespace: plainText(namespaceRef),
      device: device === 0 ? null : plainText(device - 1),
      json: `${json},"layers":${layers === 0 ? "null" : text(layers - 1)}}`,
    };
  }
  if (r.at !== bytes.length) throw new Error(`compact trace: ${bytes.length - r.at} bytes left after the events`);
  return out;
}
