/**
 * What the kernel does with a request to add, replace or delete an IPv4 route
 * in the main table, whichever tool sent it (`ip route` over netlink, `route`
 * over the SIOCADDRT/SIOCDELRT ioctls): the checks of fib_create_info and
 * fib_check_nh, and the errno plus, for netlink, the extended-ack message it
 * answers with. Each tool prints the refusal its own way.
 */
import { isLimitReached, type LimitReached } from "../object-quota.js";
import type { NetNamespace } from "../stack/namespace.js";
import type { Route, RouteProto, RouteScope } from "../stack/route-table.js";
import { prefixMask } from "../wire/ipv4-address.js";
import { routesInFibOrder } from "./route-order.js";

export interface RouteRequest {
  dst: number;
  prefixLength: number;
  via: number | null;
  devName: string | undefined;
  metric: number | undefined;
  onlink: boolean;
  proto: RouteProto | undefined;
  scope: RouteScope | undefined;
  src: number | null;
}

export type Errno = "EINVAL" | "ENODEV" | "ENETDOWN" | "ENETUNREACH" | "EEXIST" | "ESRCH" | "ENOENT";

export const STRERROR: Record<Errno, string> = {
  EINVAL: "Invalid argument",
  ENODEV: "No such device",
  ENETDOWN: "Network is down",
  ENETUNREACH: "Network is unreachable",
  EEXIST: "File exists",
  ESRCH: "No such process",
  ENOENT: "No such file or directory",
};

export interface KernelRefusal {
  errno: Errno;
  /** The netlink extended ack, when the kernel gives one (iproute2 prints it instead of strerror). */
  extack: string | null;
}

const refuse = (errno: Errno, extack: string | null = null): KernelRefusal => ({ errno, extack });

export function isRefusal(x: unknown): x is KernelRefusal {
  return typeof x === "object" && x !== null && "errno" in x;
}

/** fib_check_nh: the device a new route leaves by, or why it cannot exist. */
function nexthopDevice(ns: NetNamespace, req: RouteRequest): string | KernelRefusal {
  const dev = req.devName !== undefined ? ns.device(req.devName) : undefined;
  if (req.devName !== undefined && dev === undefined) return refuse("ENODEV");
  if (req.onlink && dev === undefined) return refuse("EINVAL", "Nexthop device required for onlink");
  if (req.via === null) {
    if (dev === undefined) return refuse("ENODEV");
    if (!dev.adminUp) return refuse("ENETDOWN", "Device for nexthop is not up");
    return dev.name;
  }
  if (dev !== undefined && !dev.adminUp) return refuse("ENETDOWN", "Nexthop device is not up");
  if (req.onlink) return dev!.name;
  // The gateway must be on a link: covered by a link- or host-scope route (a connected subnet, or one of our own addresses).
  const gw = ns.routes.lookup(req.via, (r) => r.scope !== "global" && (dev === undefined || r.dev === dev.name) && (r.table === "local" || ns.routeUsable(r))).route;
  if (gw === null) return refuse("ENETUNREACH", "Nexthop has invalid gateway");
  if (gw.type === "broadcast") return refuse("EINVAL", "Nexthop has invalid gateway");
  return dev?.name ?? gw.dev;
}

function hasHostBits(req: RouteRequest): boolean {
  return ((req.dst & ~prefixMask(req.prefixLength)) >>> 0) !== 0;
}

/** fib_create_info: the route the request describes, validated. */
export function createRoute(ns: NetNamespace, req: RouteRequest): Route | KernelRefusal {
  if (hasHostBits(req)) return refuse("EINVAL", "Invalid prefix for given prefix length");
  const dev = nexthopDevice(ns, req);
  if (isRefusal(dev)) return dev;
  if (req.src !== null && !ns.isLocalAddress(req.src)) return refuse("EINVAL", "Invalid prefsrc address");
  return {
    table: "main",
    type: "unicast",
    dst: req.dst,
    prefixLength: req.prefixLength,
    via: req.via,
    dev,
    proto: req.proto ?? "boot",
    scope: req.scope ?? (req.via === null ? "link" : "global"),
    src: req.src,
    metric: req.metric ?? 0,
    onlink: req.onlink,
  };
}

/**
 * RTM_NEWROUTE with NLM_F_EXCL (add), NLM_F_REPLACE (replace) or neither
 * (change: must exist). A new route past the session's route limit is
 * refused; a replaced one takes the room of the route it replaces.
 */
export function insertRoute(ns: NetNamespace, req: RouteRequest, mode: "add" | "replace" | "change"): KernelRefusal | LimitReached | null {
  const route = createRoute(ns, req);
  if (isRefusal(route)) return route;
  // The kernel's key for "the same route": destination, prefix length and metric.
  const existing = ns.routes.routes.find((x) => x.table === "main" && x.dst === route.dst && x.prefixLength === route.prefixLength && x.metric === route.metric);
  if (mode === "add" && existing !== undefined) return refuse("EEXIST");
  if (mode === "change" && existing === undefined) return refuse("ENOENT");
  if (existing !== undefined) ns.routes.remove((x) => x === existing);
  const added = ns.addRoute(route);
  return isLimitReached(added) ? added : null;
}

/** fib_table_delete: the first route (in table order) that every given attribute matches. */
export function deleteRoute(ns: NetNamespace, req: RouteRequest): KernelRefusal | null {
  if (hasHostBits(req)) return refuse("EINVAL", "Invalid prefix for given prefix length");
  const victim = routesInFibOrder(ns.routes.routes, "main").find(
    (r) =>
      r.dst === req.dst &&
      r.prefixLength === req.prefixLength &&
      (req.metric === undefined || r.metric === req.metric) &&
      (req.via === null || r.via === req.via) &&
      (req.devName === undefined || r.dev === req.devName) &&
      (req.proto === undefined || r.proto === req.proto) &&
      (req.scope === undefined || r.scope === req.scope),
  );
  if (victim === undefined) return refuse("ESRCH");
  ns.routes.remove((r) => r === victim);
  return null;
}
