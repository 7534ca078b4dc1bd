/**
 * The engine's virtual clock and timer queue (gVisor's manual clock, ns-3's
 * simulator): time only moves when the scheduler runs, timers fire in
 * (time, insertion) order, so a run is a pure function of its inputs.
 *
 * Time is an integer count of microseconds since the network was built. The
 * scheduler never reads a wall clock; callers say how far to run.
 */

export interface Timer {
  readonly time: number;
  readonly order: number;
  cancelled: boolean;
  readonly fire: () => void;
}

export class Scheduler {
  private heap: Timer[] = [];
  private nextOrder = 0;
  /** Virtual time in microseconds. */
  now = 0;

  constructor(startTime = 0) {
    this.now = startTime;
  }

  /** Runs `fire` after `delay` microseconds of virtual time (0: after what is already due now). */
  after(delay: number, fire: () => void): Timer {
    const timer: Timer = { time: this.now + Math.max(0, Math.round(delay)), order: this.nextOrder++, cancelled: false, fire };
    this.push(timer);
    return timer;
  }

  at(time: number, fire: () => void): Timer {
    return this.after(time - this.now, fire);
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Time of the next live timer, or undefined. */
  peekTime(): number | undefined {
    this.dropCancelledTop();
    return this.heap[0]?.time;
  }

  /**
   * Fires due timers until none is due at or before `until`, or `stop()` says
   * so; the clock then rests at `until` (or at the last fired timer when stopped).
   */
  runUntil(until: number, stop: () => boolean = () => false): void {
    for (;;) {
      if (stop()) return;
      this.dropCancelledTop();
      const next = this.heap[0];
      if (next === undefined || next.time > until) break;
      this.pop();
      this.now = next.time;
      next.fire();
    }
    if (until > this.now) this.now = until;
  }

  /** Fires timers until `done()` holds or nothing is left before `limit`. Returns whether done() held. */
  runUntilDone(done: () => boolean, limit: number): boolean {
    for (;;) {
      if (done()) return true;
      this.dropCancelledTop();
      const next = this.heap[0];
      if (next === undefined || next.time > limit) return done();
      this.pop();
      this.now = next.time;
      next.fire();
    }
  }

  /** Forgets every pending timer whose time is at or before `until` (used to end a storm). */
  discardDue(until: number): number {
    let n = 0;
    for (const t of this.heap) {
      if (!t.cancelled && t.time <= until) {
        t.cancelled = true;
        n++;
      }
    }
    return n;
  }

  private dropCancelledTop(): void {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
  }

  private less(a: Timer, b: Timer): boolean {
    return a.time < b.time || (a.time === b.time && a.order < b.order);
  }

  private push(t: Timer): void {
    const h = this.heap;
    h.push(t);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!this.less(h[i]!, h[p]!)) break;
      swap(h, i, p);
      i = p;
    }
  }

  private pop(): Timer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        swap(h, i, m);
        i = m;
      }
    }
    return top;
  }
}

function swap(h: Timer[], i: number, j: number): void {
  const t = h[i]!;
  h[i] = h[j]!;
  h[j] = t;
}
