/**
 * br_netfilter for a namespace's bridges: with net.bridge.bridge-nf-call-iptables
 * set (the Docker daemon sets it on its hosts), a unicast IPv4 frame that a
 * bridge forwards between two of its ports passes conntrack and the nat and
 * filter chains as if routed, the bridge being both the in and the out
 * interface: PREROUTING as it enters, FORWARD and POSTROUTING towards the
 * egress port. That is why Docker's `-A FORWARD -i docker0 -o docker0 -j ACCEPT`
 * exists, and why `conntrack -L` lists flows between two containers.
 *
 * Simplified: fragments are bridged without passing the hooks (Linux would
 * reassemble them for conntrack and fragment them again), and a DNAT in
 * PREROUTING does not send the frame to the IP layer for routing.
 */
import type { BridgeNetfilter, Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import type { Ipv4Payload } from "../link/payload.js";
import { isFragment } from "./ip-reassembly.js";
import type { NetNamespace } from "./namespace.js";
import { hookFilter, hookPostrouting, hookPrerouting, type HookContext } from "./netfilter/hooks.js";

interface Bridged {
  p: Ipv4Payload;
  hc: HookContext;
}

export function bridgeNetfilter(ns: NetNamespace): BridgeNetfilter {
  return {
    prerouting(bridge: Device, frame: Frame) {
      const p = frame.payload;
      if (!ns.bridgeNfCallIptables || ns.netfilter.empty || p.kind !== "ipv4" || isFragment(p)) return "skip";
      const pre = hookPrerouting(ns, bridge.name, p, frame.packetId);
      return { p: pre.p, hc: pre.hc } satisfies Bridged;
    },
    forward(bridge: Device, token: object, frame: Frame) {
      const { p, hc } = token as Bridged;
      if (!hookFilter(ns, "FORWARD", hc, p, bridge.name, bridge.name)) return null;
      const out = hookPostrouting(ns, hc, p, bridge.name);
      // Unchanged by NAT: the same frame, bytes and all; rewritten: new bytes for the new headers.
      return out === frame.payload ? frame : ns.ctx.buildFrame(frame.src, frame.dst, out, frame.packetId);
    },
  };
}
