/** sleep N: lets N seconds of virtual time pass (ARP entries go stale, FDB entries age out). */
import type { Scheduler } from "../sim/scheduler.js";
import { fail, type CommandHandler, type CommandProcess } from "./command-context.js";

const MAX_SECONDS = 7 * 24 * 3600;
/** Virtual time one step covers at most (a week of sleep on a busy bridge fires many timers). */
const STEP = 1_000_000;

/** The time passing in steps; a step with no timer due skips straight to the next timer. */
class SleepProcess implements CommandProcess {
  constructor(
    private readonly sched: Scheduler,
    private readonly start: number,
    private readonly until: number,
  ) {}

  step(): number | null {
    const next = this.sched.peekTime();
    const from = next === undefined ? this.until : Math.max(this.sched.now, next);
    this.sched.runUntil(Math.min(this.until, from + STEP));
    return this.sched.now >= this.until ? 0 : null;
  }

  /** sleep has no SIGINT handler: the shell reports 128 + 2. */
  interrupt(): number {
    return 130;
  }

  progress(): string {
    return `${Math.floor((this.sched.now - this.start) / 1_000_000)} of ${Math.floor((this.until - this.start) / 1_000_000)} seconds`;
  }
}

export const sleepCommand: CommandHandler = (argv, ctx) => {
  if (argv.length === 0) fail("sleep: missing operand\nTry 'sleep --help' for more information.");
  let total = 0;
  for (const a of argv) {
    const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(a);
    if (m === null) fail(`sleep: invalid time interval '${a}'\nTry 'sleep --help' for more information.`);
    const unit = { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as "" | "s" | "m" | "h" | "d"];
    total += Number(m[1]) * unit;
  }
  if (total > MAX_SECONDS) fail(`sleep: cnlab lets at most ${MAX_SECONDS} seconds pass in one command`);
  const sched = ctx.net.scheduler;
  return new SleepProcess(sched, sched.now, sched.now + Math.round(total * 1_000_000));
};
