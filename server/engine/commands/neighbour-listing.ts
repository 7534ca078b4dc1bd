/**
 * The IPv4 neighbour entries of a namespace in the order `ip neigh` and
 * `arp -n` list them. The kernel walks its neighbour hash table, whose hash
 * is seeded at random for each table, so the order carries no meaning and
 * differs from boot to boot. Any fixed order is as faithful as another; we
 * use one shaped like the kernel's on a small table — by the address's low
 * byte, then device, then the whole address — which also reproduces the
 * recorded outputs of the chapter.
 */
import type { NetNamespace } from "../stack/namespace.js";
import type { NeighbourEntry } from "../stack/neighbour-cache.js";

export function listNeighbours(ns: NetNamespace): NeighbourEntry[] {
  const ifindex = (name: string) => ns.device(name)?.ifindex ?? Number.MAX_SAFE_INTEGER;
  return ns.neigh
    .list()
    .filter((e) => ns.device(e.dev) !== undefined)
    .sort((a, b) => (a.ip & 0xff) - (b.ip & 0xff) || ifindex(a.dev) - ifindex(b.dev) || (a.ip >>> 0) - (b.ip >>> 0));
}

/** NUD_VALID: the entry has a usable link-layer address. */
export function hasValidLladdr(e: NeighbourEntry): boolean {
  return e.mac !== null && (e.state === "REACHABLE" || e.state === "STALE" || e.state === "DELAY" || e.state === "PROBE" || e.state === "PERMANENT");
}
