/**
 * Which trace events a lab's "trace-seen" check is looking for, as data: the
 * event's kind, and optionally its host, namespace, a matcher for its device
 * and its summary, and values for its own fields (an array field matches when
 * one of its items does). Data, so that a grading copy replaying a session in
 * a simulator worker can watch its own events go by and answer which
 * selectors were seen, instead of the server reading the stored trace back.
 */
import { textMatcher } from "./text-matcher.js";
import type { TraceEvent } from "./trace-event.js";

export interface EventSelector {
  kind: string;
  host?: string | undefined;
  namespace?: string | undefined;
  /** A text matcher (text-matcher.ts) for the event's device. */
  device?: string | undefined;
  /** A text matcher for the event's summary. */
  summary?: string | undefined;
  /** Field name → wanted value: a text matcher for strings, equality for numbers and booleans. */
  fields?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/** The selector compiled once into a test of events. */
export function compileSelector(selector: EventSelector): (event: TraceEvent) => boolean {
  const device = selector.device === undefined ? null : textMatcher(selector.device);
  const summary = selector.summary === undefined ? null : textMatcher(selector.summary);
  const fields = Object.entries(selector.fields ?? {}).map(([name, wanted]) => {
    const test = typeof wanted === "string" ? textMatcher(wanted) : (value: unknown) => value === wanted;
    return { name, test: (value: unknown) => (typeof value === "string" || typeof value === "number" || typeof value === "boolean" ? test(value) : false) };
  });
  return (event) => {
    if (event.kind !== selector.kind) return false;
    if (selector.host !== undefined && event.host !== selector.host) return false;
    if (selector.namespace !== undefined && event.namespace !== selector.namespace) return false;
    if (device !== null && !device(event.device)) return false;
    if (summary !== null && !summary(event.summary)) return false;
    for (const field of fields) {
      const value = (event as unknown as Record<string, unknown>)[field.name];
      const values = Array.isArray(value) ? value : [value];
      if (!values.some(field.test)) return false;
    }
    return true;
  };
}

/** Which of `selectors` some event matched: true at a selector's place once one did. */
export class SelectorWatch {
  readonly seen: boolean[];
  private readonly tests: ((event: TraceEvent) => boolean)[];
  private open: number;

  constructor(selectors: readonly EventSelector[]) {
    this.tests = selectors.map(compileSelector);
    this.seen = selectors.map(() => false);
    this.open = selectors.length;
  }

  /** Looks at events as they are recorded; cheap once every selector was seen. */
  watch(events: readonly TraceEvent[]): void {
    if (this.open === 0) return;
    for (const event of events) {
      for (let i = 0; i < this.tests.length; i++) {
        if (this.seen[i] || !this.tests[i]!(event)) continue;
        this.seen[i] = true;
        if (--this.open === 0) return;
      }
    }
  }
}
