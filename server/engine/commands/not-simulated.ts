/**
 * The one message every tool gives for a real option or object the simulator
 * does not model, so a student can tell "Linux would refuse this" (the real
 * tool's own error) from "this lab cannot show it" (this message).
 */
import { fail } from "./command-context.js";

export function notSimulated(what: string): never {
  fail(`cnlab: "${what}" is not simulated in this lab`, 1);
}
