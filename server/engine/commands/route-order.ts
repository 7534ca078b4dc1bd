/**
 * The order the kernel dumps IPv4 routes in (fib_trie walk), which both
 * `ip route` and `route -n` (/proc/net/route) print: by destination address,
 * then the longer prefix first, then the lower metric. Routes equal on all
 * three keep the order they were added in.
 */
import type { Route } from "../stack/route-table.js";

export function compareFibOrder(a: Route, b: Route): number {
  return (a.dst >>> 0) - (b.dst >>> 0) || b.prefixLength - a.prefixLength || a.metric - b.metric;
}

/** One table's routes in dump order. */
export function routesInFibOrder(routes: readonly Route[], table: Route["table"]): Route[] {
  return routes.filter((r) => r.table === table).sort(compareFibOrder);
}
