/**
 * One namespace's IPv4 routes: the `local` table (the namespace's own and
 * broadcast addresses, looked up first) and `main` (connected routes made from
 * addresses, plus static ones). Lookup is longest-prefix match, then lowest
 * metric, then first added — what fib_lookup gives for the cases we model.
 */
import { ObjectQuota, type LimitReached } from "../object-quota.js";
import { formatIpv4, prefixMask } from "../wire/ipv4-address.js";
import { TextMemo } from "../trace/text-memo.js";

export type RouteProto = "kernel" | "boot" | "static" | "bird";
export type RouteScope = "host" | "link" | "global";
export type RouteType = "unicast" | "local" | "broadcast" | "blackhole";

export interface Route {
  table: "main" | "local";
  type: RouteType;
  /** Network address (host bits zero) as uint32. */
  dst: number;
  prefixLength: number;
  via: number | null;
  dev: string;
  proto: RouteProto;
  scope: RouteScope;
  src: number | null;
  metric: number;
  onlink: boolean;
}

export function routeMatches(r: Route, address: number): boolean {
  return ((address & prefixMask(r.prefixLength)) >>> 0) === r.dst;
}

export function sameRoute(a: Route, b: Route): boolean {
  return a.table === b.table && a.dst === b.dst && a.prefixLength === b.prefixLength && a.metric === b.metric && a.type === b.type;
}

/** Routes never change once added, so their plain text is computed once (route lookups print it in every trace). */
const plainText = new WeakMap<Route, string>();

/** `ip route` syntax for one route (without the trailing space iproute2 prints). */
export function formatRoute(r: Route, opts: { showTable?: boolean; linkdown?: boolean } = {}): string {
  if (opts.showTable !== true && opts.linkdown !== true) {
    let text = plainText.get(r);
    if (text === undefined) plainText.set(r, (text = composeRoute(r, opts)));
    return text;
  }
  return composeRoute(r, opts);
}

function composeRoute(r: Route, opts: { showTable?: boolean; linkdown?: boolean }): string {
  const parts: string[] = [];
  if (r.type !== "unicast") parts.push(r.type);
  parts.push(r.prefixLength === 0 && r.type === "unicast" ? "default" : r.prefixLength === 32 ? formatIpv4(r.dst) : `${formatIpv4(r.dst)}/${r.prefixLength}`);
  if (r.via !== null) parts.push("via", formatIpv4(r.via));
  if (r.type !== "blackhole") parts.push("dev", r.dev);
  if (opts.showTable && r.table !== "main") parts.push("table", r.table);
  if (r.proto !== "boot") parts.push("proto", r.proto);
  if (r.scope !== "global") parts.push("scope", r.scope);
  if (r.src !== null) parts.push("src", formatIpv4(r.src));
  if (r.metric !== 0) parts.push("metric", String(r.metric));
  if (r.onlink) parts.push("onlink");
  if (opts.linkdown) parts.push("linkdown");
  return parts.join(" ");
}

export interface RouteLookup {
  route: Route | null;
  candidates: number;
  reason: string;
}

export class RouteTable {
  readonly routes: Route[] = [];

  /** Every route counts against the session's route limit, the kernel's own included. */
  constructor(private quota: ObjectQuota = ObjectQuota.unlimited()) {}

  has(r: Route): boolean {
    return this.routes.some((x) => sameRoute(x, r));
  }

  /** True when added; false when the same route is there (EEXIST); the limit when the session has no room. */
  add(r: Route): boolean | LimitReached {
    if (this.has(r)) return false;
    const full = this.quota.take("routes");
    if (full !== null) return full;
    this.routes.push(r);
    return true;
  }

  remove(pred: (r: Route) => boolean): Route[] {
    const gone = this.routes.filter(pred);
    for (const r of gone) this.routes.splice(this.routes.indexOf(r), 1);
    this.quota.release("routes", gone.length);
    return gone;
  }

  /** The device was renamed: its routes are the same ones (the kernel's name the device by index), printed with the new name. */
  renameDevice(from: string, to: string): void {
    this.routes.forEach((r, i) => {
      if (r.dev === from) this.routes[i] = { ...r, dev: to };
    });
  }

  /** The namespace is deleted: its routes stop counting, and nothing done to the table later counts. */
  dispose(): void {
    this.quota.release("routes", this.routes.length);
    this.quota = ObjectQuota.unlimited();
  }

  /** The local table first, then main by longest prefix and lowest metric. */
  lookup(address: number, usable: (r: Route) => boolean = () => true): RouteLookup {
    let local: Route | null = null;
    let best: Route | null = null;
    let candidates = 0;
    for (const r of this.routes) {
      if (!routeMatches(r, address) || !usable(r)) continue;
      if (r.table === "local") {
        if (local === null) local = r;
        continue;
      }
      candidates++;
      if (best === null || r.prefixLength > best.prefixLength || (r.prefixLength === best.prefixLength && r.metric < best.metric)) best = r;
    }
    if (local !== null) return { route: local, candidates: candidates + 1, reason: localReason(local, address) };
    if (best === null) return { route: null, candidates: 0, reason: `no route in table main matches ${formatIpv4(address)}` };
    return { route: best, candidates, reason: bestReason(best, candidates) };
  }
}

/**
 * The reason texts of the last lookups each route decided: a flow's packets
 * are decided alike (a ping round trip has four lookups).
 */
const reasons = new TextMemo(2);

function localReason(local: Route, address: number): string {
  return reasons.text(local, "local", address, null, null, () => `${formatIpv4(address)} is ${local.type === "local" ? "a local address" : "a broadcast address"} (table local)`);
}

function bestReason(best: Route, candidates: number): string {
  return reasons.text(best, "best", candidates, null, null, () => {
    const label = best.prefixLength === 0 ? "/0 (default)" : `/${best.prefixLength}`;
    return candidates === 1 ? `only route matching: ${label}` : `longest prefix match: ${label} among ${candidates} matching routes`;
  });
}
