/**
 * What a namespace's stack needs from the network around it: the clock, the
 * trace, seeded randomness, packet ids, and the frame builder. One per
 * simulated network; injected so the stack stays pure.
 */
import type { LinkContext } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import type { Ipv4Payload, Payload } from "../link/payload.js";
import type { SeededRandom } from "../sim/seeded-random.js";

export interface StackContext extends LinkContext {
  readonly random: SeededRandom;
  nextPacketId(): number;
  buildFrame(src: string, dst: string, payload: Payload, packetId: number): Frame;
  /** The IPv4 packet's bytes alone, for the quote in an ICMP error. */
  encodePacket(payload: Ipv4Payload): Uint8Array;
}

/** Kernel defaults (net.ipv4.neigh.default.*), in µs. Linux randomises reachable time to 0.5–1.5×; we keep it exact for determinism. */
export const NEIGH = {
  baseReachableTime: 30_000_000,
  retransTime: 1_000_000,
  delayFirstProbeTime: 5_000_000,
  mcastSolicit: 3,
  ucastSolicit: 3,
  unresQlen: 101,
} as const;

export const DEFAULT_TTL = 64;
