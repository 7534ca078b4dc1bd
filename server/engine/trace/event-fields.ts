/**
 * Each trace event kind's own fields, in the order serializeEvent writes them,
 * with the JSON type of each: read once from the JSON schema
 * (trace-event-schema.ts), which lists every kind's properties in that order.
 * The compact stored form (compact-events.ts) walks this table instead of
 * repeating a per-kind switch, so a field added to a kind reaches it through
 * the schema alone; a shape it cannot store stops the module from loading.
 */
import type { TSchema } from "typebox";
import { TRACE_EVENT_KINDS, type TraceEventKind } from "./trace-event.js";
import { TraceEventSchema } from "./trace-event-schema.js";

/** A string; one that may be null; a number; one that may be null; a boolean; a list of strings. */
export type FieldType = "str" | "str?" | "num" | "num?" | "bool" | "strs";

export interface EventField {
  name: string;
  type: FieldType;
}

/** The fields every event has, written before the kind's own (layers, after them, is apart). */
export const BASE_FIELDS = ["seq", "time", "kind", "host", "namespace", "device", "packetId", "summary", "layers"] as const;

interface SchemaNode {
  type?: string;
  const?: unknown;
  enum?: unknown[];
  anyOf?: SchemaNode[];
}

function isStringNode(n: SchemaNode): boolean {
  return n.type === "string" || (Array.isArray(n.enum) && n.enum.every((v) => typeof v === "string")) || (n.anyOf?.every(isStringNode) ?? false);
}

function fieldType(kind: string, name: string, node: SchemaNode): FieldType {
  const nullable = node.anyOf?.some((n) => n.type === "null") ?? false;
  const inner: SchemaNode = nullable ? { anyOf: node.anyOf!.filter((n) => n.type !== "null") } : node;
  const one = inner.anyOf?.length === 1 ? inner.anyOf[0]! : inner;
  if (isStringNode(one)) return nullable ? "str?" : "str";
  if (one.type === "integer" || one.type === "number") return nullable ? "num?" : "num";
  if (!nullable && one.type === "boolean") return "bool";
  if (!nullable && one.type === "array" && isStringNode((one as { items?: SchemaNode }).items ?? {})) return "strs";
  throw new Error(`trace event ${kind}.${name}: a field of a shape the compact trace cannot store`);
}

function readFields(): Record<TraceEventKind, EventField[]> {
  const out = {} as Record<TraceEventKind, EventField[]>;
  for (const variant of (TraceEventSchema as TSchema & { anyOf: { properties: Record<string, SchemaNode> }[] }).anyOf) {
    const kind = variant.properties["kind"]!.const as TraceEventKind;
    out[kind] = Object.entries(variant.properties)
      .filter(([name]) => !(BASE_FIELDS as readonly string[]).includes(name))
      .map(([name, node]) => ({ name, type: fieldType(kind, name, node) }));
  }
  for (const kind of TRACE_EVENT_KINDS) if (out[kind] === undefined) throw new Error(`trace event ${kind}: not in the schema`);
  return out;
}

export const EVENT_FIELDS: Readonly<Record<TraceEventKind, readonly EventField[]>> = readFields();
