/**
 * How a command reports that the session's object limits refused it: the
 * cnlab message naming the limit (a real kernel would answer ENOBUFS or
 * ENOMEM here, which would not tell a student what happened), with the exit
 * code the tool gives when the kernel refuses (ip 2, iptables 1, docker run
 * 125). The refused operation changed nothing.
 */
import { limitMessage, type LimitReached } from "../object-quota.js";
import { fail } from "./command-context.js";

export function limitReached(r: LimitReached, exitCode: number, wrap: (message: string) => string = (m) => m): never {
  fail(wrap(limitMessage(r)), exitCode);
}
