/**
 * Shares one thread between many sessions' work, fairly. Each piece of work
 * is a generator that yields between two steps (a command's steps, a
 * replay's commands); the scheduler runs one task for at most a slice, then
 * picks again, and after each turn lets the thread's message queue in.
 *
 * It picks the task that has had the least time on the thread so far (least
 * attained service; the oldest among equals), not the next in a round: a
 * student's `ip route` or one ping, which needs a few milliseconds, then waits
 * at most for the slice running when it arrives, however many long replays,
 * captures and pings of other sessions share the thread, and long tasks
 * share what is left evenly among themselves. It measures each task's time on
 * the thread, which is what the command budgets are checked against.
 *
 * Not a preemptive scheduler: a single step runs to its end. Steps are small
 * by construction (one probe interval of a ping, one storm budget at most).
 */
import { performance } from "node:perf_hooks";

export interface SliceTask {
  /** Milliseconds this task has run on the thread so far (updated after every step). */
  cpuMs: number;
  /** When the scheduler took it, ms (performance.now). */
  readonly startedAt: number;
}

interface Entry extends SliceTask {
  steps: Generator<void, void, void>;
  fail: (err: unknown) => void;
}

export interface SliceSchedulerOptions {
  /** Longest a task runs before the next one's turn, ms. */
  sliceMs: number;
  /** Longest a turn over the queue runs before messages are let in, ms. */
  turnMs: number;
}

export class SliceScheduler {
  private readonly queue: Entry[] = [];
  private pumping = false;

  constructor(
    private readonly options: SliceSchedulerOptions = { sliceMs: 5, turnMs: 10 },
    /** The thread's clock, ms; a test's own clock makes the order it picks independent of the machine's load. */
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size(): number {
    return this.queue.length;
  }

  /**
   * Adds a task. `body` makes its generator and receives the task, to read its
   * time so far; `fail` hears what the generator throws (the task then ends).
   */
  add(body: (task: SliceTask) => Generator<void, void, void>, fail: (err: unknown) => void): void {
    const entry = { cpuMs: 0, startedAt: this.now(), fail } as Entry;
    entry.steps = body(entry);
    this.queue.push(entry);
    if (!this.pumping) {
      this.pumping = true;
      setImmediate(this.pump);
    }
  }

  private readonly pump = (): void => {
    const turnEnd = this.now() + this.options.turnMs;
    do {
      const task = this.takeLeastServed();
      const sliceStart = this.now();
      let now = sliceStart;
      let done = false;
      try {
        do {
          const before = now;
          done = task.steps.next().done === true;
          now = this.now();
          task.cpuMs += now - before;
        } while (!done && now - sliceStart < this.options.sliceMs);
      } catch (err) {
        done = true;
        task.fail(err);
      }
      if (!done) this.queue.push(task);
    } while (this.queue.length > 0 && this.now() < turnEnd);
    if (this.queue.length > 0) setImmediate(this.pump);
    else this.pumping = false;
  };

  /** The queued task with the least time on the thread, the one queued first among equals. */
  private takeLeastServed(): Entry {
    let best = 0;
    for (let i = 1; i < this.queue.length; i++) if (this.queue[i]!.cpuMs < this.queue[best]!.cpuMs) best = i;
    return this.queue.splice(best, 1)[0]!;
  }
}
