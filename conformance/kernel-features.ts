/**
 * Whether this machine's kernel makes devices of a link kind, asked the way
 * the lab script asks (lab-script/runtime-helpers.ts, require_link_kind):
 * `ip link add probe0 type <kind>` in a namespace of the run's own, which is
 * then removed. A kernel with the ipip module answers yes (loading the module
 * on demand, as the lab script would); one without it answers no. Needs root.
 */
import { execFileSync } from "node:child_process";

export function kernelMakes(kind: string, prefix: string): boolean {
  const ns = `${prefix}probe`;
  const ip = (args: string[]) => {
    try {
      execFileSync("ip", args, { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  if (!ip(["netns", "add", ns])) throw new Error(`conformance: cannot make namespace ${ns} to probe for ${kind} devices`);
  try {
    return ip(["-n", ns, "link", "add", "probe0", "type", kind]);
  } finally {
    ip(["netns", "del", ns]);
  }
}
