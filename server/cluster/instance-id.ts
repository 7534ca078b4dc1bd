/**
 * This instance's name among the others when CNLAB_INSTANCE_ID is unset: the
 * host name (a container's id under Docker), the process id and a random
 * suffix, so a restarted process never mistakes the leases of the one it
 * replaces for its own.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";

export function defaultInstanceId(): string {
  const host = hostname().replace(/[^A-Za-z0-9._-]/g, "-").slice(0, 40) || "cnlab";
  return `${host}-${process.pid}-${randomBytes(3).toString("hex")}`;
}
