/**
 * fib_validate_source: whether a packet, or an ARP request (arp_process asks
 * the same route input), that came in on a device may come from its source
 * address. A source that is one of this namespace's own addresses is a
 * martian unless accept_local is on (conf.all or the device's); with
 * rp_filter (the larger of conf.all and the device's) 1, strict, the route
 * back to the source must leave by the device it came in on, with 2 or more,
 * loose, any route back will do. It only judges: the caller drops.
 */
import type { Device } from "../link/device.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { NetNamespace } from "./namespace.js";

export interface MartianSource {
  /** Why, for the drop's summary. */
  why: string;
  /** The settings that decided it. */
  detail: string;
}

export function martianSource(ns: NetNamespace, dev: Device, src: number): MartianSource | null {
  // A packet looped back through lo keeps the route it was sent with: no input route, nothing to validate.
  if (src === 0 || dev.kind === "loopback") return null;
  const acceptLocal = ns.ipv4Conf.all.acceptLocal !== 0 || dev.acceptLocal !== 0;
  if (!acceptLocal && ns.holdsAddress(src)) {
    return { why: `${formatIpv4(src)} is an address of this namespace (accept_local off)`, detail: `net.ipv4.conf.${dev.name}.accept_local=${dev.acceptLocal}, all=${ns.ipv4Conf.all.acceptLocal}` };
  }
  const mode = Math.max(ns.ipv4Conf.all.rpFilter, dev.rpFilter);
  if (mode === 0) return null;
  const back = ns.routes.lookup(src, (r) => r.table === "main" && ns.routeUsable(r)).route;
  // Only 1 is strict: 2 and any larger value are loose.
  if (back !== null && (mode !== 1 || back.dev === dev.name)) return null;
  const why = back === null ? `no route back to ${formatIpv4(src)}` : `the route back to ${formatIpv4(src)} leaves by ${back.dev}, not ${dev.name}`;
  return { why: `${why} (rp_filter ${mode === 1 ? "strict" : "loose"})`, detail: `net.ipv4.conf.${dev.name}.rp_filter=${dev.rpFilter}, all=${ns.ipv4Conf.all.rpFilter}` };
}
