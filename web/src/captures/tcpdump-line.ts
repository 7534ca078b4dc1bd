/**
 * A captured frame as `tcpdump -n -e -i DEV` prints it, from the trace:
 * each `frame-tx` / `frame-rx` event on a device is one frame that device
 * sent or received, with its decoded layers and a tcpdump-like summary
 * ("eth0 sends IP 172.17.0.2 > 172.17.0.3: ICMP echo request, …").
 * With -e, tcpdump puts the link-layer header first and drops the "IP " /
 * "ARP, " words the summary starts with:
 *
 *   00:00:00.000020 02:42:ac:11:00:02 > ff:ff:ff:ff:ff:ff, ethertype ARP (0x0806), length 42: Request who-has …
 *
 * Times are the session's virtual time from 0, as the pcap export writes them.
 * Pure.
 */
import type { TraceEvent } from "../trace/trace-event.js";

const ETHER_TYPES: Record<number, string> = { 0x0800: "IPv4", 0x0806: "ARP", 0x86dd: "IPv6", 0x8100: "802.1Q" };

export function isCapturedFrame(event: TraceEvent): boolean {
  return (event.kind === "frame-tx" || event.kind === "frame-rx") && event.device !== null;
}

export function tcpdumpLine(event: TraceEvent): string {
  const time = clock(event.time);
  const what = event.summary.replace(/^\S+ (sends|receives) /, "");
  const eth = event.layers?.[0];
  if (eth === undefined || eth.kind !== "ethernet") {
    // TUN and IPIP devices carry bare IP: tcpdump prints no link layer for them.
    return `${time} ${what}`;
  }
  const type = eth.etherType;
  // A frame event gives the length on the wire; the decoded layer gives what was captured.
  const length = event.kind === "frame-tx" || event.kind === "frame-rx" ? event.length : eth.length;
  const rest = what.replace(/^IP /, "").replace(/^ARP, /, "");
  return `${time} ${String(eth.src)} > ${String(eth.dst)}, ethertype ${ETHER_TYPES[type] ?? "Unknown"} (0x${type.toString(16).padStart(4, "0")}), length ${length}: ${rest}`;
}

/** Virtual µs as tcpdump's HH:MM:SS.ffffff. */
export function clock(micros: number): string {
  const seconds = Math.floor(micros / 1e6);
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${pad(Math.floor(seconds / 3600))}:${pad(Math.floor(seconds / 60) % 60)}:${pad(seconds % 60)}.${pad(micros % 1e6, 6)}`;
}

/**
 * The frames `tcpdump -i DEV` records on one device, from the trace: what
 * the device sent and received (frame-tx / frame-rx), and, for a bridge,
 * every frame it bridged too, since tcpdump puts the bridge in promiscuous
 * mode and the bridge then hands a copy of each frame up to itself. A frame
 * is counted once (a broadcast both flooded and passed up is one frame); its
 * text is the one the frame's last tx/rx event gave it.
 */
export function deviceFrames(events: readonly TraceEvent[], host: string, namespace: string, device: string, isBridge: boolean): string[] {
  const lines: string[] = [];
  const lastFrame = new Map<number, TraceEvent>();
  const seen = new Set<string>();
  for (const e of events) {
    if (e.host !== host || e.namespace !== namespace) {
      if (isCapturedFrame(e) && e.packetId !== null) lastFrame.set(e.packetId, e);
      continue;
    }
    const bridged = isBridge && e.device === device && (e.kind === "bridge-forward" || e.kind === "bridge-flood" || e.kind === "bridge-local");
    const own = isCapturedFrame(e) && e.device === device;
    if ((bridged || own) && e.packetId !== null) {
      const frame = own ? e : lastFrame.get(e.packetId);
      // The fragments of one packet share its id and may share a time: their lengths tell them apart.
      const key = `${e.packetId}@${e.time}@${frame !== undefined && (frame.kind === "frame-tx" || frame.kind === "frame-rx") ? frame.length : ""}`;
      if (frame !== undefined && !seen.has(key)) {
        seen.add(key);
        lines.push(tcpdumpLine({ ...frame, time: e.time }));
      }
    }
    if (isCapturedFrame(e) && e.packetId !== null) lastFrame.set(e.packetId, e);
  }
  return lines;
}
