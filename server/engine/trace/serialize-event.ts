/**
 * JSON text of a trace event, as stored and streamed. The decoded layers of a
 * frame are shared by every event about it (often five or six), so their JSON
 * is produced once per frame and spliced in, instead of once per event.
 * The result is exactly JSON.stringify(event) with `layers` moved last.
 */
import type { TraceEvent } from "./trace-event.js";

const layersJson = new WeakMap<object, string>();

export function serializeEvent(event: TraceEvent): string {
  const layers = event.layers;
  if (layers === null) return JSON.stringify(event);
  let lj = layersJson.get(layers);
  if (lj === undefined) layersJson.set(layers, (lj = JSON.stringify(layers)));
  // Stringify the event without its layers by hiding them for the call (JSON.stringify skips
  // undefined): cheaper than copying the event without them. Synchronous, so nobody sees the gap.
  const target = event as { layers: unknown };
  target.layers = undefined;
  let body: string;
  try {
    body = JSON.stringify(event);
  } finally {
    target.layers = layers;
  }
  return `${body.slice(0, -1)},"layers":${lj}}`;
}
