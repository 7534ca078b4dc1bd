/**
 * Trace events as the page reads them (docs/trace-events.md): the common
 * fields typed, each kind's own fields read by name where the page needs
 * them. Also the filter the player's list applies, and the one-line
 * "decision" shown under the diagram for the selected event.
 *
 * Pure: no DOM.
 */

export interface EventLayer {
  kind: string;
  [field: string]: unknown;
}

export interface TraceEvent {
  seq: number;
  time: number;
  kind: string;
  host: string;
  namespace: string;
  device: string | null;
  packetId: number | null;
  summary: string;
  layers: EventLayer[] | null;
  [field: string]: unknown;
}

export const EVENT_KINDS = [
  "frame-tx",
  "frame-rx",
  "bridge-learn",
  "bridge-flood",
  "bridge-forward",
  "bridge-local",
  "fdb-age-out",
  "arp-request",
  "arp-reply",
  "neigh-state",
  "route-lookup",
  "ip-forward",
  "ip-local",
  "ip-fragment",
  "ip-reassemble",
  "icmp-echo",
  "icmp-error",
  "socket-deliver",
  "tcp-state",
  "netfilter",
  "nat",
  "conntrack",
  "encap",
  "decap",
  "tunnel-user",
  "cni",
  "drop",
] as const;

export const PROTOCOLS = ["ethernet", "arp", "ipv4", "icmp", "tcp", "udp", "vxlan", "dns"] as const;

export interface TraceFilter {
  hosts: string[];
  devices: string[];
  kinds: string[];
  protocols: string[];
  /** Free text searched in the summary. */
  text: string;
}

export const EMPTY_FILTER: TraceFilter = { hosts: [], devices: [], kinds: [], protocols: [], text: "" };

/** As the trace stream's filter: every list given must match, a list matches when one of its values does. */
export function matchesFilter(event: TraceEvent, filter: TraceFilter): boolean {
  if (filter.hosts.length > 0 && !filter.hosts.includes(event.host)) return false;
  if (filter.devices.length > 0 && (event.device === null || !filter.devices.includes(event.device))) return false;
  if (filter.kinds.length > 0 && !filter.kinds.includes(event.kind)) return false;
  if (filter.protocols.length > 0 && !(event.layers ?? []).some((l) => filter.protocols.includes(l.kind))) return false;
  if (filter.text !== "" && !event.summary.toLowerCase().includes(filter.text.toLowerCase())) return false;
  return true;
}

/** The innermost protocol of the event's frame, for the list's protocol column. */
export function protocolOf(event: TraceEvent): string {
  const layers = event.layers ?? [];
  for (let i = layers.length - 1; i >= 0; i--) {
    const kind = layers[i]!.kind;
    if (kind !== "ethernet" && kind !== "raw") return kind.toUpperCase();
  }
  return layers.length > 0 ? layers[0]!.kind.toUpperCase() : "";
}

/** Virtual µs as seconds with 6 decimals, as tcpdump's relative times. */
export function formatTime(micros: number): string {
  return (micros / 1e6).toFixed(6);
}

/** What the kernel decided at this event, in one line, for the panel under the diagram; null when the summary says it all. */
export function decisionOf(event: TraceEvent): { label: string; text: string } | null {
  const f = (name: string): string => String(event[name] ?? "");
  switch (event.kind) {
    case "route-lookup":
      return { label: "route", text: event.route === null ? `no route to ${f("destination")} (${f("reason")})` : `${f("route")} — ${f("reason")}` };
    case "bridge-learn":
      return { label: "fdb", text: `${f("bridge")} learned ${f("mac")} on ${f("port")}${event.previousPort ? ` (moved from ${f("previousPort")})` : ""}` };
    case "bridge-forward":
      return { label: "fdb", text: `${f("bridge")}: FDB entry ${f("mac")} → ${f("egress")}, forwarded from ${f("ingress")}` };
    case "bridge-flood":
      return { label: "fdb", text: `${f("bridge")}: no single port for the destination, flooded from ${f("ingress")} to ${(event.egress as string[] | undefined)?.join(", ") ?? ""}` };
    case "fdb-age-out":
      return { label: "fdb", text: `${f("bridge")} forgot ${f("mac")} on ${f("port")} after ${f("idleSeconds")} s idle` };
    case "neigh-state":
      return { label: "arp", text: `${f("ip")}: ${f("from")} → ${f("to")}${event.reason ? ` (${f("reason")})` : ""}` };
    case "netfilter":
      return { label: "netfilter", text: `${f("table")}/${f("chain")}: ${f("rule")} → ${f("target")}` };
    case "nat":
      return { label: "nat", text: `${f("type")}: ${f("field")} ${f("from")} → ${f("to")}` };
    case "conntrack":
      return { label: "conntrack", text: `${f("protocol")} ${f("orig")} ⇄ ${f("reply")} (${f("state")})` };
    case "drop":
      return { label: "drop", text: `${f("reason")}${event.detail ? `: ${f("detail")}` : ""}` };
    case "ip-forward":
      return { label: "forward", text: `${f("inDevice")} → ${f("outDevice")}, TTL now ${f("ttl")}` };
    case "encap":
    case "decap":
      return { label: event.kind, text: `${f("tunnel")} ${f("outer")}${event.vni !== undefined ? ` VNI ${f("vni")}` : ""}` };
    default:
      return null;
  }
}
