/**
 * The one message every tool gives for a real option, subcommand or object the
 * simulator does not model, so a student can tell "Linux would refuse this" (the
 * real tool's own error) from "the real tool has this, cnlab cannot show it"
 * (this message). It names what was typed first, as tools name themselves in
 * their errors, and exits 1 without touching the network.
 */
import { fail } from "./command-context.js";

/** `what` is the command as typed, cut to the part not simulated: "ping -f", "docker network ls". */
export function notSimulated(what: string): never {
  fail(`${what}: not simulated in cnlab`, 1);
}
