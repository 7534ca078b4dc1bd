/**
 * The trace's record of a frame's data reaching a user-space socket (ping,
 * curl, nginx, traceroute's UDP socket): the last hop of a packet's journey
 * through the stack, emitted the same way by ICMP, TCP and UDP delivery.
 */
import type { Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import type { NetNamespace } from "./namespace.js";

export function emitSocketDeliver(
  ns: NetNamespace,
  dev: Device,
  frame: Frame,
  summary: string,
  protocol: "tcp" | "udp" | "icmp",
  port: number,
  process: string,
): void {
  ns.ctx.trace.emit({ seq: 0, time: 0, kind: "socket-deliver", host: ns.host, namespace: ns.name, device: dev.name, packetId: frame.packetId, layers: frame.layers, summary, protocol, port, process });
}
