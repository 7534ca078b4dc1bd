/**
 * The engine's virtual clock and timer queue (gVisor's manual clock, ns-3's
 * simulator): time only moves when the scheduler runs, timers fire in
 * (time, insertion) order, so a run is a pure function of its inputs.
 *
 * Time is an integer count of microseconds since the network was built. The
 * scheduler never reads a wall clock; callers say how far to run.
 *
 * Two heaps, one order: a frame crossing a link waits microseconds, while
 * neighbour, FDB and TCP timers wait seconds and pile up (thousands on a busy
 * bridge). Short waits go to a small `near` heap and long ones to `far`, and
 * the next timer is the lesser of the two tops, so the hop-by-hop traffic
 * never sifts through the long timers' heap, and the firing order is exactly
 * that of one queue.
 */

export interface Timer {
  readonly time: number;
  readonly order: number;
  cancelled: boolean;
  readonly fire: () => void;
}

/** Waits shorter than this (µs) go to the near heap: link delays, not protocol timers. */
const NEAR_HORIZON = 100_000;

function less(a: Timer, b: Timer): boolean {
  return a.time < b.time || (a.time === b.time && a.order < b.order);
}

/** A binary min-heap of timers in (time, order). */
class TimerHeap {
  readonly items: Timer[] = [];

  get top(): Timer | undefined {
    return this.items[0];
  }

  push(t: Timer): void {
    const h = this.items;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!less(h[i]!, h[p]!)) break;
      swap(h, i, p);
      i = p;
    }
  }

  pop(): Timer | undefined {
    const h = this.items;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && less(h[l]!, h[m]!)) m = l;
        if (r < h.length && less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        swap(h, i, m);
        i = m;
      }
    }
    return top;
  }

  dropCancelledTop(): void {
    while (this.items.length > 0 && this.items[0]!.cancelled) this.pop();
  }
}

function swap(h: Timer[], i: number, j: number): void {
  const t = h[i]!;
  h[i] = h[j]!;
  h[j] = t;
}

export class Scheduler {
  private readonly near = new TimerHeap();
  private readonly far = new TimerHeap();
  private nextOrder = 0;
  /** Virtual time in microseconds. */
  now = 0;

  constructor(startTime = 0) {
    this.now = startTime;
  }

  /** Runs `fire` after `delay` microseconds of virtual time (0: after what is already due now). */
  after(delay: number, fire: () => void): Timer {
    const wait = Math.max(0, Math.round(delay));
    const timer: Timer = { time: this.now + wait, order: this.nextOrder++, cancelled: false, fire };
    (wait < NEAR_HORIZON ? this.near : this.far).push(timer);
    return timer;
  }

  at(time: number, fire: () => void): Timer {
    return this.after(time - this.now, fire);
  }

  get pending(): number {
    return this.near.items.length + this.far.items.length;
  }

  /** Time of the next live timer, or undefined. */
  peekTime(): number | undefined {
    return this.next()?.time;
  }

  /**
   * Fires due timers until none is due at or before `until`, or `stop()` says
   * so; the clock then rests at `until` (or at the last fired timer when stopped).
   */
  runUntil(until: number, stop: () => boolean = () => false): void {
    for (;;) {
      if (stop()) return;
      const next = this.next();
      if (next === undefined || next.time > until) break;
      this.fireNext(next);
    }
    if (until > this.now) this.now = until;
  }

  /** Fires timers until `done()` holds or nothing is left before `limit`. Returns whether done() held. */
  runUntilDone(done: () => boolean, limit: number): boolean {
    for (;;) {
      if (done()) return true;
      const next = this.next();
      if (next === undefined || next.time > limit) return done();
      this.fireNext(next);
    }
  }

  /** Forgets every pending timer whose time is at or before `until` (used to end a storm). */
  discardDue(until: number): number {
    let n = 0;
    for (const heap of [this.near, this.far]) {
      for (const t of heap.items) {
        if (!t.cancelled && t.time <= until) {
          t.cancelled = true;
          n++;
        }
      }
    }
    return n;
  }

  /** The earliest live timer of both heaps, left in place. */
  private next(): Timer | undefined {
    this.near.dropCancelledTop();
    this.far.dropCancelledTop();
    const a = this.near.top;
    const b = this.far.top;
    if (a === undefined) return b;
    if (b === undefined) return a;
    return less(a, b) ? a : b;
  }

  /** Takes `next` (a heap's top) off its heap, moves the clock to it and fires it. */
  private fireNext(next: Timer): void {
    (next === this.near.top ? this.near : this.far).pop();
    this.now = next.time;
    next.fire();
  }
}
