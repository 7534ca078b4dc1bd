/**
 * br_netfilter for a namespace's bridges: with net.bridge.bridge-nf-call-iptables
 * set (the Docker daemon sets it on its hosts), a unicast IPv4 frame that a
 * bridge forwards between two of its ports passes conntrack and the nat and
 * filter chains as if routed, the bridge being both the in and the out
 * interface: PREROUTING as it enters, FORWARD and POSTROUTING towards the
 * egress port. That is why Docker's `-A FORWARD -i docker0 -o docker0 -j ACCEPT`
 * exists, and why `conntrack -L` lists flows between two containers.
 *
 * A frame for the bridge's own MAC goes up to the stack, whose PREROUTING
 * stands for br_netfilter's; when its DNAT (or conntrack undoing a
 * masquerade) sends the packet to an address behind the same bridge, the
 * frame is bridged again (bridgedDnat), as br_nf_pre_routing_finish does:
 * the Service traffic of two pods of one node, and of a pod to itself.
 *
 * Simplified: fragments are bridged without passing the hooks (Linux would
 * reassemble them for conntrack and fragment them again), and a DNAT of a
 * frame bridged between two ports does not send it to the IP layer for
 * routing; a bridged DNAT whose new destination has no neighbour entry yet
 * is routed instead of resolved first.
 */
import type { Bridge } from "../link/bridge.js";
import type { BridgeNetfilter, Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import type { Ipv4Payload } from "../link/payload.js";
import { isFragment } from "./ip-reassembly.js";
import type { NetNamespace } from "./namespace.js";
import type { Route } from "./route-table.js";
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
      // Bridged between two ports: what -m physdev --physdev-is-bridged sees in FORWARD.
      hc.bridged = true;
      if (!hookFilter(ns, "FORWARD", hc, p, bridge.name, bridge.name)) return null;
      const out = hookPostrouting(ns, hc, p, bridge.name);
      // Unchanged by NAT: the same frame, bytes and all; rewritten: new bytes for the new headers.
      return out === frame.payload ? frame : ns.ctx.buildFrame(frame.src, frame.dst, out, frame.packetId);
    },
  };
}

/**
 * The bridged DNAT of a packet PREROUTING rewrote after it came up from
 * `bridge`: true when the frame went back to the bridge (towards the new
 * destination's MAC, the source MAC kept), false when the stack should
 * route it as usual (not from a port, not behind this bridge, no
 * neighbour entry).
 */
export function bridgedDnat(ns: NetNamespace, bridge: Bridge, frame: Frame, before: Ipv4Payload, p: Ipv4Payload, hc: HookContext, route: Route): boolean {
  const ingress = bridge.localIngress;
  if (!ns.bridgeNfCallIptables || ingress === null || p.dst === before.dst || route.table === "local" || route.type !== "unicast" || route.dev !== bridge.name) return false;
  const neighbour = ns.neigh.get(bridge.name, route.via ?? p.dst);
  if (neighbour === undefined || neighbour.mac === null) return false;
  const token: Bridged = { p, hc };
  bridge.rebridge(ingress, ns.ctx.buildFrame(frame.src, neighbour.mac, p, frame.packetId), token);
  return true;
}
