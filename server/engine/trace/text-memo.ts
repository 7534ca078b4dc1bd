/**
 * The last few texts made for an owner (a route, a namespace, a bridge port),
 * each with the up to four values it was made from. A flow's packets meet
 * the same decisions, and their trace events would otherwise build the same
 * summary line again for every packet: one string for all of them is built
 * once and, where the stored trace writes each distinct string once
 * (compact-events.ts), hashed once. A value is compared with `===`, so what
 * is made from it must depend on nothing else. The owners are objects of one
 * session's network, and a text is a function of the values kept with it:
 * one session's memo never changes what another's events say.
 */
interface Made {
  a: unknown;
  b: unknown;
  c: unknown;
  d: unknown;
  text: string;
}

export class TextMemo {
  private readonly byOwner = new WeakMap<object, Made[]>();

  /** `size`: how many texts an owner keeps, the latest first. */
  constructor(private readonly size: number) {}

  text(owner: object, a: unknown, b: unknown, c: unknown, d: unknown, make: () => string): string {
    let recent = this.byOwner.get(owner);
    if (recent === undefined) this.byOwner.set(owner, (recent = []));
    for (const m of recent) if (m.a === a && m.b === b && m.c === c && m.d === d) return m.text;
    const text = make();
    if (recent.length === this.size) recent.pop();
    recent.unshift({ a, b, c, d, text });
    return text;
  }
}
