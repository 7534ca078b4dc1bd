/**
 * `ip rule`: the policy routing rules. The engine has no policy routing, so
 * every namespace has the kernel's three default rules and listing them is
 * all this supports.
 */
import { fail, type CommandContext } from "./command-context.js";
import { matches } from "./ip-args.js";
import { notSimulated } from "./not-simulated.js";

export function ipRule(argv: string[], ctx: CommandContext): number {
  const [cmd = "list"] = argv;
  if (matches(cmd, "list") || matches(cmd, "show") || matches(cmd, "lst")) {
    ctx.out.push("0:\tfrom all lookup local", "32766:\tfrom all lookup main", "32767:\tfrom all lookup default");
    return 0;
  }
  if (matches(cmd, "add") || matches(cmd, "delete") || matches(cmd, "flush")) {
    if (argv.length === 1 && !matches(cmd, "flush")) fail(`"ip rule ${cmd}" requires arguments.`, 1);
    notSimulated(`ip rule ${cmd}`);
  }
  fail(`Command "${cmd}" is unknown, try "ip rule help".`, 255);
}
