/**
 * A frame as it travels between devices: the real bytes (what a capture
 * holds), their decoded view (what trace events carry) and the typed payload
 * the stack acts on. All three describe the same frame and are built together
 * by stack/frame-builder.ts; a frame is never mutated after that, so bridges
 * can hand one object to every port they flood it to, as the kernel clones skbs.
 */
import type { DecodedFrame } from "../wire/packet.js";
import type { Payload } from "./payload.js";

export interface Frame {
  /** Identity of the packet, kept when a bridge or router passes it on. */
  readonly packetId: number;
  readonly src: string;
  readonly dst: string;
  readonly bytes: Uint8Array;
  readonly layers: DecodedFrame;
  /** tcpdump-like one-liner, computed once. */
  readonly summary: string;
  readonly payload: Payload;
}

export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";

/** Group bit of the first octet: broadcast and multicast frames are flooded. */
export function isGroupMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}
