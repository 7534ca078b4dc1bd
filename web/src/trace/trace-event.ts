/**
 * Trace events as the page reads them (docs/trace-events.md): the server's
 * own event union, imported as a type (the JSON on the wire is exactly that
 * union), so a kind's fields are typed where the page narrows on its kind.
 * Also the filter the player's list applies, and the one-line "decision"
 * shown under the diagram for the selected event.
 *
 * Pure: no DOM.
 */

// The server's own types, as types only: nothing of the server is in the page's bundle.
import type { DecodedLayer, TraceEvent, TraceEventKind } from "../../../server/engine/index.js";

export type { TraceEvent, TraceEventKind };
export type EventLayer = DecodedLayer;

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
  "probe",
  "proxy-sync",
  "drop",
] as const satisfies readonly TraceEventKind[];

/** Every kind the server has is in the filter's list: a kind added to the server's union and not here fails the page's type check. */
const everyKind: Exclude<TraceEventKind, (typeof EVENT_KINDS)[number]> extends never ? true : false = true;
void everyKind;

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
  switch (event.kind) {
    case "route-lookup":
      return { label: "route", text: event.route === null ? `no route to ${event.destination} (${event.reason})` : `${event.route} — ${event.reason}` };
    case "bridge-learn":
      return { label: "fdb", text: `${event.bridge} learned ${event.mac} on ${event.port}${event.previousPort !== null ? ` (moved from ${event.previousPort})` : ""}` };
    case "bridge-forward":
      return { label: "fdb", text: `${event.bridge}: FDB entry ${event.mac} → ${event.egress}, forwarded from ${event.ingress}` };
    case "bridge-flood":
      return { label: "fdb", text: `${event.bridge}: no single port for the destination, flooded from ${event.ingress} to ${event.egress.join(", ")}` };
    case "fdb-age-out":
      return { label: "fdb", text: `${event.bridge} forgot ${event.mac} on ${event.port} after ${event.idleSeconds} s idle` };
    case "neigh-state":
      return { label: "arp", text: `${event.ip}: ${event.from} → ${event.to}${event.reason ? ` (${event.reason})` : ""}` };
    case "netfilter":
      return { label: "netfilter", text: `${event.table}/${event.chain}: ${event.rule} → ${event.target}` };
    case "nat":
      return { label: "nat", text: `${event.type}: ${event.field} ${event.from} → ${event.to}` };
    case "conntrack":
      return { label: "conntrack", text: `${event.protocol} ${event.orig} ⇄ ${event.reply} (${event.state})` };
    case "drop":
      return { label: "drop", text: `${event.reason}${event.detail ? `: ${event.detail}` : ""}` };
    case "ip-forward":
      return { label: "forward", text: `${event.inDevice} → ${event.outDevice}, TTL now ${event.ttl}` };
    case "encap":
    case "decap":
      return { label: event.kind, text: `${event.tunnel} ${event.outer}${event.vni !== null ? ` VNI ${event.vni}` : ""}` };
    default:
      return null;
  }
}
