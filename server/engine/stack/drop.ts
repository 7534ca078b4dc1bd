/**
 * The one way the stack reports that a packet goes no further: a `drop` trace
 * event with its reason from the closed list, in the namespace where it happened.
 */
import type { DropReason } from "../trace/trace-event.js";
import type { DecodedFrame } from "../wire/packet.js";
import type { NetNamespace } from "./namespace.js";

export interface DropReport {
  device: string | null;
  packetId: number | null;
  layers: DecodedFrame | null;
  reason: DropReason;
  detail: string;
  summary: string;
}

export function dropPacket(ns: NetNamespace, d: DropReport): void {
  ns.ctx.trace.emit({ seq: 0, time: 0, kind: "drop", host: ns.host, namespace: ns.name, ...d });
}
