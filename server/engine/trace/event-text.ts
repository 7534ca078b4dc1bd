/**
 * Stored events read as text. A command's events are stored as the JSON array
 * serializeEvents writes, each event in one field order (seq, time, kind,
 * host, namespace, device, …, layers last). Cutting that text into events and
 * reading the few fields a filter needs from each one's head costs a fraction
 * of parsing it, and the event's JSON goes to clients as it was stored,
 * never parsed and written again. Only a filter on layer kinds parses the
 * layers, and only of the events it looks at.
 *
 * The cuts are safe: `,{"seq":` can stand in the text only between two
 * events (inside a string its quotes would be escaped, and no layer object
 * begins with a "seq" key); test/engine/trace/event-text.test.ts holds every
 * lab's events to it.
 */
import type { TraceEvent } from "./trace-event.js";

export interface EventText {
  seq: number;
  kind: TraceEvent["kind"];
  host: string;
  namespace: string;
  device: string | null;
  /** The event's JSON, as stored. */
  json: string;
}

const BOUNDARY = ',{"seq":';
const HEAD = /^\{"seq":(\d+),"time":[^,]*,"kind":"([a-z-]+)","host":"((?:[^"\\]|\\.)*)","namespace":"((?:[^"\\]|\\.)*)","device":(null|"(?:[^"\\]|\\.)*")/;

/** The events of a stored JSON array text, in order. */
export function splitEventsText(text: string): EventText[] {
  const out: EventText[] = [];
  if (text.length <= 2) return out;
  let start = 1;
  const end = text.length - 1;
  while (start < end) {
    const next = text.indexOf(BOUNDARY, start);
    const stop = next === -1 ? end : next;
    out.push(eventText(text.slice(start, stop)));
    start = stop + 1;
  }
  return out;
}

function eventText(json: string): EventText {
  const m = HEAD.exec(json);
  if (m === null) throw new Error(`not an event as serializeEvent writes it: ${json.slice(0, 80)}`);
  return {
    seq: Number(m[1]),
    kind: m[2] as TraceEvent["kind"],
    host: unescapeJsonString(m[3]!),
    namespace: unescapeJsonString(m[4]!),
    device: m[5] === "null" ? null : unescapeJsonString(m[5]!.slice(1, -1)),
    json,
  };
}

/** A string from its JSON text between the quotes. */
export const unescapeJsonString = (s: string): string => (s.includes("\\") ? (JSON.parse(`"${s}"`) as string) : s);

/** The kinds of the event's top-level layers (ethernet, arp, ipv4, icmp …); none when it has no frame. */
export function layerKindsOf(e: EventText): string[] {
  const at = e.json.indexOf(',"layers":');
  const layers = JSON.parse(e.json.slice(at + ',"layers":'.length, -1)) as { kind: string }[] | null;
  return layers === null ? [] : layers.map((l) => l.kind);
}
