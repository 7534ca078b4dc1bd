/**
 * Collects the events of one command and enforces the per-step budget that
 * turns a broadcast storm (a bridge loop) into one drop event and a clear
 * message instead of a hung server. A command runs in steps (command-job.ts);
 * a step that causes more events than the budget is a storm, since no probe
 * of a working network multiplies frames without end. What a whole command
 * may record is the job's limit, checked between steps.
 */
import type { Scheduler } from "../sim/scheduler.js";
import type { TraceEvent, TraceEventInput } from "./trace-event.js";

export const DEFAULT_EVENT_BUDGET = 200_000;

export class BudgetExceeded extends Error {
  constructor(readonly budget: number) {
    super(`event budget of ${budget} exceeded`);
  }
}

export class TraceRecorder {
  private nextSeq = 0;
  private batch: TraceEvent[] = [];
  private spent = 0;
  exhausted = false;

  constructor(
    private readonly clock: Scheduler,
    public budget = DEFAULT_EVENT_BUDGET,
    firstSeq = 0,
  ) {
    this.nextSeq = firstSeq;
  }

  get seq(): number {
    return this.nextSeq;
  }

  emit(input: TraceEventInput): void {
    if (this.exhausted) return;
    if (this.spent >= this.budget) {
      this.exhausted = true;
      throw new BudgetExceeded(this.budget);
    }
    this.spent++;
    const event = input as TraceEvent;
    event.seq = this.nextSeq++;
    event.time = this.clock.now;
    this.batch.push(event);
  }

  /** Records the storm's drop event past the budget, so the trace says why it stopped. */
  emitFinal(input: TraceEventInput): void {
    const event = input as TraceEvent;
    event.seq = this.nextSeq++;
    event.time = this.clock.now;
    this.batch.push(event);
  }

  /** Starts a new step's budget. */
  beginStep(): void {
    this.spent = 0;
    this.exhausted = false;
  }

  /** Hands over what was recorded so far, the budgets untouched: a long command's events leave while it runs. */
  drain(): TraceEvent[] {
    const out = this.batch;
    this.batch = [];
    return out;
  }

  /** Hands over what was recorded since the last take and starts a new budget. */
  take(): TraceEvent[] {
    const out = this.batch;
    this.batch = [];
    this.spent = 0;
    this.exhausted = false;
    return out;
  }
}
