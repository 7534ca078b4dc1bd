/**
 * The pieces every part of the generator writes with: a command in one of the
 * lab's namespaces (`ip -n` for iproute2, `ip netns exec` for anything else)
 * and English comments. A part returns plain lines; lab-script.ts puts them
 * into bash functions.
 */
import { nsRef } from "./script-names.js";
import { shellQuote } from "./shell-quote.js";

/** `ip -n <ns> <args>`: iproute2 switches namespace itself. */
export function ipIn(suffix: string, args: string[]): string {
  return `ip -n ${nsRef(suffix)} ${args.map(shellQuote).join(" ")}`;
}

/** `ip netns exec <ns> <command…>`. */
export function execIn(suffix: string, argv: string[]): string {
  return `ip netns exec ${nsRef(suffix)} ${argv.map(shellQuote).join(" ")}`;
}

export function comment(text: string): string {
  return `# ${text}`;
}
