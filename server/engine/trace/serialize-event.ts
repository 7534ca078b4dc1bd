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
  const { layers: _omitted, ...rest } = event;
  const body = JSON.stringify(rest);
  return `${body.slice(0, -1)},"layers":${lj}}`;
}
