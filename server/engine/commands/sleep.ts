/** sleep N: lets N seconds of virtual time pass (ARP entries go stale, FDB entries age out). */
import { fail, type CommandHandler } from "./command-context.js";

const MAX_SECONDS = 7 * 24 * 3600;

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
  sched.runUntil(sched.now + Math.round(total * 1_000_000));
  return 0;
};
