/**
 * Maps between places in a parsed YAML document and places in its text, so
 * every complaint about a lab file can name a line: a JSON pointer from a
 * schema error becomes a character offset, and the offset of a YAML syntax
 * error becomes the field path it sits in.
 *
 * It knows nothing about labs: any YAML document and any JSON pointer.
 */
import { isAlias, isCollection, isMap, isPair, isScalar, isSeq, visit, type Alias, type Document, type Node, type Pair } from "yaml";

export type PathSegment = string | number;

/** Splits a JSON pointer ("/hosts/0/veths/1") into segments, undoing ~1 and ~0. */
export function pointerToSegments(pointer: string): PathSegment[] {
  if (pointer === "") return [];
  return pointer
    .slice(1)
    .split("/")
    .map((raw) => raw.replaceAll("~1", "/").replaceAll("~0", "~"))
    .map((segment) => (/^(0|[1-9][0-9]*)$/.test(segment) ? Number(segment) : segment));
}

/** Renders segments the way an author reads them: topology.hosts[0].veths[1].peer. */
export function formatFieldPath(segments: readonly PathSegment[]): string {
  if (segments.length === 0) return "(document)";
  return segments
    .map((segment, index) => (typeof segment === "number" ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join("");
}

/**
 * The offset in the source text that best shows `segments`: the key of the
 * deepest field that exists (so a missing field points at the object that
 * lacks it, and an unknown one at its own key).
 */
export function offsetOfPath(doc: Document, segments: readonly PathSegment[]): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  for (const segment of segments) {
    if (isMap(node)) {
      const pair = node.items.find((item) => keyOf(item) === String(segment));
      if (pair === undefined) break;
      offset = rangeStart(pair.key) ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === "number") {
      const item = node.items[segment];
      if (item === undefined) break;
      offset = rangeStart(item) ?? offset;
      node = item;
    } else {
      break;
    }
  }
  return offset;
}

/** The path of the innermost field whose text contains `offset`; [] when it lies outside every field. */
export function pathAtOffset(doc: Document, offset: number): PathSegment[] {
  const path: PathSegment[] = [];
  let node: unknown = doc.contents;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((item) => pairContains(item, offset));
      if (pair === undefined) return path;
      path.push(keyOf(pair));
      node = pair.value;
    } else if (isSeq(node)) {
      const index = node.items.findIndex((item) => contains(item, offset));
      if (index < 0) return path;
      path.push(index);
      node = node.items[index];
    } else {
      return path;
    }
  }
}

/** The first alias (`*name`) whose anchor (`&name`) does not come before it. */
export function unresolvedAlias(doc: Document): Alias | undefined {
  let found: Alias | undefined;
  visit(doc, {
    Alias(_key, alias) {
      if (alias.resolve(doc) !== undefined) return undefined;
      found = alias;
      return visit.BREAK;
    },
  });
  return found;
}

/**
 * Where a document's aliases, read top to bottom, first expand to more than
 * `limit` nodes: the alias that crosses it. An alias counts itself and, again,
 * every alias inside the node it names, so aliases of aliases multiply
 * ("billion laughs"). The yaml library refuses such a document when it is
 * converted, but without saying where; this finds the place to show. The
 * first alias when the library's count and this one disagree.
 */
export function aliasPastLimit(doc: Document, limit: number): Alias | undefined {
  const weights = new Map<unknown, number>();
  // Capped at limit + 1, so a bomb's counts stay small numbers.
  const weightOf = (node: unknown, open: Set<unknown>): number => {
    if (isAlias(node)) {
      const source = node.resolve(doc);
      return Math.min(limit + 1, 1 + (source === undefined ? 0 : weightOf(source, open)));
    }
    if (isPair(node)) return Math.min(limit + 1, weightOf(node.key, open) + weightOf(node.value, open));
    if (!isCollection(node)) return 0;
    const known = weights.get(node);
    if (known !== undefined) return known;
    // An anchor may be aliased inside itself (`&a [*a]`): that alias adds itself only.
    if (open.has(node)) return 0;
    open.add(node);
    let weight = 0;
    for (const item of node.items) weight = Math.min(limit + 1, weight + weightOf(item, open));
    open.delete(node);
    weights.set(node, weight);
    return weight;
  };

  let total = 0;
  let first: Alias | undefined;
  let crossing: Alias | undefined;
  visit(doc, {
    Alias(_key, alias) {
      first ??= alias;
      total += weightOf(alias, new Set());
      if (total <= limit) return undefined;
      crossing = alias;
      return visit.BREAK;
    },
  });
  return crossing ?? first;
}

function keyOf(pair: Pair<unknown, unknown>): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
}

function rangeStart(node: unknown): number | undefined {
  if (isScalar(node) || isMap(node) || isSeq(node) || isAlias(node)) return (node as Node).range?.[0];
  return undefined;
}

function contains(node: unknown, offset: number): boolean {
  if (!(isScalar(node) || isMap(node) || isSeq(node) || isAlias(node))) return false;
  const range = (node as Node).range;
  return range !== null && range !== undefined && range[0] <= offset && offset < range[2];
}

function pairContains(pair: unknown, offset: number): boolean {
  if (!isPair(pair)) return false;
  const start = rangeStart(pair.key);
  const valueRange = pair.value !== null && (isScalar(pair.value) || isMap(pair.value) || isSeq(pair.value)) ? pair.value.range : undefined;
  const end = valueRange?.[2] ?? (isScalar(pair.key) ? pair.key.range?.[2] : undefined);
  return start !== undefined && end !== undefined && start <= offset && offset < end;
}
