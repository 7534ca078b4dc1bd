/**
 * The compact form trace events are stored in, and its way back to the JSON
 * serializeEvent writes, byte for byte. A ping round trip is about 28 events
 * and 16 KB of JSON, most of it the same strings again (hosts, devices, the
 * iptables rules each packet walks past, the decoded frame repeated in every
 * event about it); writing all of that and then compressing it cost several
 * times what simulating the round trip did. Here every distinct string is
 * written once per batch, every frame once as its bytes (frame-layers.ts),
 * and each event is a few varints: a round trip is about 1.3 KB before
 * compression. JSON is made only when a client reads the events
 * (decodeEventsCompact): strings escaped, frames decoded, through the same
 * rules serializeEvent follows, which a test holds to serializeEvent over
 * every lab's events; with each event come the fields a filter reads
 * (event-text.ts), known here without reading the JSON again.
 *
 * Layout 4 of one batch (integers are unsigned LEB128 varints):
 *   textCount, then per text its length in UTF-16 units times two, plus one
 *   when the text is JSON (see below) rather than a string as it is
 *   textBytes, then the texts' UTF-8, one after the other
 *   frameCount, then per frame its length, then the frames' bytes
 *   eventCount
 *   per event: kind (a text), seq and time (zigzag deltas from the previous
 *   event's, the first from 0), host, namespace, device (0 for null, else
 *   text + 1), packetId (0 for null, else number + 1), summary (0 when it is
 *   what a device says of the event's frame, made again from its bytes:
 *   frame-layers.ts's frameEventSummary, for frame-tx and frame-rx events;
 *   else text + 1), layers (0 for
 *   null, 2t + 1 for text t, 2f + 2 for frame f), then the kind's own fields
 *   in event-fields.ts's order: a string is its text, a nullable one 0 or
 *   text + 1, a number as below, a nullable one 0 or number + 1, a boolean 0
 *   or 1, a list of strings its length and then its texts.
 *   A number n is 2n when n is an integer from 0 to 2^50; any other is
 *   2t + 1, t a text holding its JSON.
 * A text is a string as it is, or as its JSON between the quotes when it has
 * a lone surrogate, which UTF-8 cannot carry (unless the texts joined are
 * well-formed: the lone halves of a pair that meet where two texts join come
 * back as they were, since the reader cuts the decoded text at the same
 * UTF-16 lengths); the layers of a frame without bytes, or a number's JSON.
 *
 * Layout 3, written before (stored traces "CNT3"), is still read: an event's
 * summary is always its text. Layout 2, before it ("CNT2"), also: its texts
 * are all JSON, joined by "\n", it has no frames, and an event's layers are
 * 0 or text + 1.
 *
 * A change of this layout is a new stored format (server/simulator/stored-trace.ts
 * names each by its magic).
 */
import { EVENT_FIELDS, type FieldType } from "./event-fields.js";
import { unescapeJsonString, type EventText } from "./event-text.js";
import { FRAME_EVENT_VERBS, frameBytesOf, frameEventSummary, frameLayers, saidOfFrame } from "./frame-layers.js";
import { num, raw } from "./serialize-event.js";
import { summarizeFrame, type DecodedFrame } from "../wire/packet.js";
import type { TraceEvent, TraceEventKind } from "./trace-event.js";

/** The layouts decodeEventsCompact reads; encodeEventsCompact writes the last. */
export type CompactLayout = 2 | 3 | 4;

const MAX_PLAIN = 2 ** 50;

class ByteWriter {
  bytes: Uint8Array;
  length = 0;

  /** `capacity`: what it will most likely hold; a command of a few events should not zero 8 KB twice. */
  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  private room(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.length + n) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  varint(v: number): void {
    this.room(10);
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

  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  get written(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

const zigzag = (v: number): number => (v >= 0 ? v * 2 : -v * 2 - 1);
const unzigzag = (v: number): number => (v % 2 === 0 ? v / 2 : -(v + 1) / 2);

/** String.prototype.isWellFormed (ES2024; Node has it): false for a string with a lone surrogate. */
const isWellFormed = (s: string): boolean => (s as unknown as { isWellFormed(): boolean }).isWellFormed();

/** The texts and frames of one batch, each written once: strings by value, layers by identity. */
class Tables {
  readonly texts: string[] = [];
  /** Per text: its length times two, plus one when it is JSON. */
  readonly heads: number[] = [];
  readonly frames: Uint8Array[] = [];
  private readonly strings = new Map<string, number>();
  private readonly layers = new Map<object, number>();
  private readonly numbers = new Map<string, number>();

  private text(t: string, json: boolean): number {
    this.heads.push(t.length * 2 + (json ? 1 : 0));
    return this.texts.push(t) - 1;
  }

  str(s: string): number {
    let ref = this.strings.get(s);
    if (ref === undefined) {
      ref = this.text(s, false);
      this.strings.set(s, ref);
    }
    return ref;
  }

  /**
   * The texts as one string, ready for UTF-8. A string is taken as it is, and
   * whether it has a lone surrogate (which UTF-8 cannot carry) is asked once,
   * of all of them together: only when that finds one is each string asked,
   * and those that have one become their JSON. Two strings that are lone
   * halves of one pair make a well-formed whole, and come back as they were:
   * the reader cuts the decoded text at the same UTF-16 lengths.
   */
  joined(): string {
    const all = this.texts.join("");
    if (isWellFormed(all)) return all;
    for (let i = 0; i < this.texts.length; i++) {
      const text = this.texts[i]!;
      if (this.heads[i]! % 2 === 1 || isWellFormed(text)) continue;
      const json = raw(text);
      this.texts[i] = json;
      this.heads[i] = json.length * 2 + 1;
    }
    return this.texts.join("");
  }

  /** An event's layers: 2f + 2 for frame f, or 2t + 1 for text t, its JSON, when the layers have no bytes. */
  layersOf(layers: TraceEvent["layers"] & object): number {
    let code = this.layers.get(layers);
    if (code === undefined) {
      const bytes = frameBytesOf(layers);
      code = bytes === undefined ? this.text(JSON.stringify(layers), true) * 2 + 1 : (this.frames.push(bytes) - 1) * 2 + 2;
      this.layers.set(layers, code);
    }
    return code;
  }

  number(n: number): number {
    if (Number.isInteger(n) && n >= 0 && n <= MAX_PLAIN) return n * 2;
    const text = num(n);
    let ref = this.numbers.get(text);
    if (ref === undefined) {
      ref = this.text(text, true);
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

/** What one event's writer carries to the next: the previous event's seq, time, and neighbours. */
interface Carried {
  seq: number;
  time: number;
  host: string;
  hostRef: number;
  namespace: string;
  namespaceRef: number;
  device: string;
  deviceRef: number;
}

type EventWriter = (w: ByteWriter, t: Tables, e: TraceEvent, c: Carried) => void;

/** The code that writes one field of the kind's own, `v` its value, by the layout's rule for the field's type (the header comment above). */
function fieldCode(type: FieldType): string {
  switch (type) {
    case "str":
      return "w.varint(t.str(v));";
    case "str?":
      return "w.varint(v === null ? 0 : t.str(v) + 1);";
    case "num":
      return "w.varint(t.number(v));";
    case "num?":
      return "w.varint(v === null ? 0 : t.number(v) + 1);";
    case "bool":
      return "w.varint(v === true ? 1 : 0);";
    case "strs":
      return "w.varint(v.length); for (const s of v) w.varint(t.str(s));";
    default:
      return assertNeverType(type);
  }
}

/**
 * One writer per kind, made from the kind's fields (writerFor, below). A
 * loop over the field table read each value by a name it held (`e[name]`), and
 * every field of every kind of event went through the same few places in the
 * code: V8 could only look each one up the slow way, and that was a fifth of
 * the time a round trip's events took to encode. Each writer reads its kind's
 * fields by their names, written into its code, so each read sees one shape
 * of event. The names come from the schema and are checked to be plain
 * identifiers; nothing else goes into the code. A writer keeps its kind's
 * text for the batch it last wrote (`t`).
 */
function eventWriter(kind: TraceEventKind): EventWriter {
  const fields = EVENT_FIELDS[kind].map(({ name, type }) => {
    if (!/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name)) throw new Error(`compact trace: field ${kind}.${name} is not a plain name`);
    return `{ const v = e.${name}; ${fieldCode(type)} }`;
  });
  const verb = FRAME_EVENT_VERBS[kind];
  const summaryCode =
    verb === undefined
      ? "w.varint(t.str(e.summary) + 1);"
      : `{ const s = e.summary; w.varint(saidOfFrame(${JSON.stringify(verb)}, s, e.device, e.layers) ? 0 : t.str(s) + 1); }`;
  const source = `
  let tables = null, kindRef = -1;
  return function write_${kind.replace(/-/g, "_")}(w, t, e, c) {
    if (t !== tables) {
      tables = t;
      kindRef = t.str(${JSON.stringify(kind)});
    }
    w.varint(kindRef);
    w.varint(zigzag(checkedInteger("seq", e.seq) - c.seq));
    w.varint(zigzag(checkedInteger("time", e.time) - c.time));
    c.seq = e.seq;
    c.time = e.time;
    const host = e.host;
    if (c.hostRef < 0 || host !== c.host) {
      c.host = host;
      c.hostRef = t.str(host);
    }
    w.varint(c.hostRef);
    const namespace = e.namespace;
    if (c.namespaceRef < 0 || namespace !== c.namespace) {
      c.namespace = namespace;
      c.namespaceRef = t.str(namespace);
    }
    w.varint(c.namespaceRef);
    const device = e.device;
    if (device === null) w.varint(0);
    else {
      if (c.deviceRef < 0 || device !== c.device) {
        c.device = device;
        c.deviceRef = t.str(device);
      }
      w.varint(c.deviceRef + 1);
    }
    w.varint(e.packetId === null ? 0 : t.number(e.packetId) + 1);
    ${summaryCode}
    w.varint(e.layers === null ? 0 : t.layersOf(e.layers));
    ${fields.join("\n    ")}
  };`;
  const make = new Function("zigzag", "checkedInteger", "saidOfFrame", source) as (z: typeof zigzag, check: typeof checkedInteger, said: typeof saidOfFrame) => EventWriter;
  return make(zigzag, checkedInteger, saidOfFrame);
}

/** Each kind's writer, made when a batch first has an event of that kind (making all of them at start took a few milliseconds of it). */
const eventWriters = new Map<string, EventWriter>();

function writerFor(kind: string): EventWriter {
  let write = eventWriters.get(kind);
  if (write === undefined) {
    if (!Object.hasOwn(EVENT_FIELDS, kind)) throw new Error(`compact trace: an event of unknown kind ${JSON.stringify(kind)}`);
    eventWriters.set(kind, (write = eventWriter(kind as TraceEventKind)));
  }
  return write;
}

/**
 * Where a batch's events are written before they are copied behind its
 * tables: one buffer for every batch, grown when one needs more and never
 * cleared (it is written before it is read). A new one per chunk of a
 * thousand events, 32 KB zeroed, cost more than writing into it. It is a
 * scratch, not state: nothing a batch reads comes from the one before.
 */
const eventsScratch = new ByteWriter(32 * 1024);

/** A batch of events in the compact form (layout 4). */
export function encodeEventsCompact(events: readonly TraceEvent[]): Uint8Array {
  const t = new Tables();
  const w = eventsScratch;
  w.length = 0;
  w.varint(events.length);
  // Consecutive events mostly share their kind's neighbours: host, namespace, often the device.
  // Comparing with the previous event's string first spares most of the map lookups.
  const carried: Carried = { seq: 0, time: 0, host: "", hostRef: -1, namespace: "", namespaceRef: -1, device: "", deviceRef: -1 };
  for (const e of events) writerFor(e.kind)(w, t, e, carried);
  const textBytes = encoder.encode(t.joined());
  let frameBytes = 0;
  for (const f of t.frames) frameBytes += f.length;
  // A varint is at most 10 bytes: the counts and lengths, then what they count.
  const head = new ByteWriter(10 * (t.texts.length + t.frames.length + 3) + textBytes.length + frameBytes + w.length);
  head.varint(t.texts.length);
  for (const h of t.heads) head.varint(h);
  head.varint(textBytes.length);
  head.raw(textBytes);
  head.varint(t.frames.length);
  for (const f of t.frames) head.varint(f.length);
  for (const f of t.frames) head.raw(f);
  head.raw(w.written);
  return head.written;
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

  take(length: number, what: string): Uint8Array {
    if (this.at + length > this.bytes.length) throw new Error(`compact trace: the ${what} run past the batch`);
    const out = this.bytes.subarray(this.at, this.at + length);
    this.at += length;
    return out;
  }
}

/** What a batch's events refer to: each text as JSON and as the string it is, and each event's layers as JSON. */
interface BatchTables {
  /** A text as JSON: a string's between its quotes, a number's, or a frame's layers. */
  json(ref: number): string;
  /** A string text as the string itself, escapes undone. */
  plain(ref: number): string;
  /** An event's layers code (not 0) as JSON. */
  layers(code: number): string;
  /** The summary of the frame an event's layers code names (layout 4). */
  frameSummary(code: number): string;
}

function checkedRef(ref: number, count: number): number {
  if (ref >= count) throw new Error(`compact trace: text ${ref} of ${count}`);
  return ref;
}

/** Layout 2: texts all JSON, joined by "\n"; layers are a text. */
function layout2Tables(r: ByteReader): BatchTables {
  const textCount = r.varint();
  const block = r.take(r.varint(), "texts");
  const texts = textCount === 0 ? [] : decoder.decode(block).split("\n");
  if (texts.length !== textCount) throw new Error(`compact trace: ${texts.length} texts where the batch says ${textCount}`);
  const plain = new Array<string | undefined>(textCount);
  const json = (ref: number): string => texts[checkedRef(ref, textCount)]!;
  return {
    json,
    plain: (ref) => (plain[ref] ??= unescapeJsonString(json(ref))),
    layers: (code) => json(code - 1),
    frameSummary: () => {
      throw new Error("compact trace: layout 2 has no frames");
    },
  };
}

/** Layouts 3 and 4: strings as they are (or as JSON, flagged), frames as their bytes. */
function layout3Tables(r: ByteReader): BatchTables {
  const textCount = r.varint();
  const heads = new Array<number>(textCount);
  for (let i = 0; i < textCount; i++) heads[i] = r.varint();
  const block = decoder.decode(r.take(r.varint(), "texts"));
  const texts = new Array<string>(textCount);
  let at = 0;
  for (let i = 0; i < textCount; i++) {
    const length = Math.floor(heads[i]! / 2);
    texts[i] = block.slice(at, at + length);
    at += length;
  }
  if (at !== block.length) throw new Error(`compact trace: the texts take ${block.length} characters where their lengths say ${at}`);
  const frameCount = r.varint();
  const lengths = new Array<number>(frameCount);
  for (let i = 0; i < frameCount; i++) lengths[i] = r.varint();
  const frames = lengths.map((length) => r.take(length, "frames"));
  const jsonOf = new Array<string | undefined>(textCount);
  const plainOf = new Array<string | undefined>(textCount);
  const decoded = new Array<{ layers: DecodedFrame; json?: string; summary?: string } | undefined>(frameCount);
  const frame = (code: number) => {
    if (code === 0 || code % 2 === 1) throw new Error("compact trace: a summary made from a frame, for an event without one");
    const f = (code - 2) / 2;
    if (f >= frameCount) throw new Error(`compact trace: frame ${f} of ${frameCount}`);
    return (decoded[f] ??= { layers: frameLayers(frames[f]!) });
  };
  const isJson = (ref: number): boolean => heads[checkedRef(ref, textCount)]! % 2 === 1;
  const json = (ref: number): string => (jsonOf[ref] ??= isJson(ref) ? texts[ref]! : raw(texts[ref]!));
  return {
    json,
    plain: (ref) => (plainOf[ref] ??= isJson(ref) ? unescapeJsonString(texts[ref]!) : texts[ref]!),
    layers: (code) => {
      if (code % 2 === 1) return json((code - 1) / 2);
      const f = frame(code);
      return (f.json ??= JSON.stringify(f.layers));
    },
    frameSummary: (code) => {
      const f = frame(code);
      return (f.summary ??= summarizeFrame(f.layers));
    },
  };
}

/** Each event of a batch, its JSON the text serializeEvent would have written for it. */
export function decodeEventsCompact(bytes: Uint8Array, layout: CompactLayout = 4): EventText[] {
  const r = new ByteReader(bytes);
  const t = layout === 2 ? layout2Tables(r) : layout3Tables(r);
  const number = (code: number): string => (code % 2 === 0 ? `${code / 2}` : t.json((code - 1) / 2));
  const count = r.varint();
  const out = new Array<EventText>(count);
  let seq = 0;
  let time = 0;
  for (let i = 0; i < count; i++) {
    const kind = t.json(r.varint()) as TraceEventKind;
    const fields = FIELD_PREFIXES[kind];
    if (fields === undefined) throw new Error(`compact trace: unknown event kind "${kind}"`);
    seq += unzigzag(r.varint());
    time += unzigzag(r.varint());
    const hostRef = r.varint();
    const namespaceRef = r.varint();
    const device = r.varint();
    const packetId = r.varint();
    const summaryCode = r.varint();
    const layers = r.varint();
    let summary: string;
    if (layout < 4) summary = t.json(summaryCode);
    else if (summaryCode > 0) summary = t.json(summaryCode - 1);
    else {
      if ((kind !== "frame-tx" && kind !== "frame-rx") || device === 0) throw new Error(`compact trace: a ${kind} event's summary made from its frame`);
      summary = raw(frameEventSummary(kind, t.plain(device - 1), t.frameSummary(layers)));
    }
    let json =
      `{"seq":${seq},"time":${time},"kind":"${kind}","host":"${t.json(hostRef)}","namespace":"${t.json(namespaceRef)}"` +
      `,"device":${device === 0 ? "null" : `"${t.json(device - 1)}"`},"packetId":${packetId === 0 ? "null" : number(packetId - 1)},"summary":"${summary}"`;
    for (const { type, prefix } of fields) {
      const v = r.varint();
      switch (type) {
        case "str":
          json += `${prefix}"${t.json(v)}"`;
          break;
        case "str?":
          json += v === 0 ? `${prefix}null` : `${prefix}"${t.json(v - 1)}"`;
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
          for (let k = 0; k < v; k++) json += `${k === 0 ? "" : ","}"${t.json(r.varint())}"`;
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
      host: t.plain(hostRef),
      namespace: t.plain(namespaceRef),
      device: device === 0 ? null : t.plain(device - 1),
      json: `${json},"layers":${layers === 0 ? "null" : t.layers(layers)}}`,
    };
  }
  if (r.at !== bytes.length) throw new Error(`compact trace: ${bytes.length - r.at} bytes left after the events`);
  return out;
}
