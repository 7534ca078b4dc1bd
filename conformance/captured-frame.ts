/**
 * One frame as either side captured it, before comparison: where (host,
 * namespace, device), which way, and its bytes as an Ethernet frame (a
 * cooked Linux capture gets a header rebuilt from what it kept: the source
 * MAC and the EtherType; its destination MAC is lost, see linux-capture.ts),
 * or bare IP for layer-3 devices (TUN, IPIP).
 */
export interface CapturedFrame {
  host: string;
  namespace: string;
  device: string;
  direction: "in" | "out";
  /** For frames in: to this host, broadcast, multicast or another host (the kernel's packet type). */
  to: "host" | "broadcast" | "multicast" | "otherhost" | null;
  /** An Ethernet frame, or an IPv4 packet when `layer3`. */
  bytes: Uint8Array;
  layer3: boolean;
}

export const whereOf = (f: { host: string; namespace: string; device: string }) => `${f.host}/${f.namespace}/${f.device}`;
