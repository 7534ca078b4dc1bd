/**
 * br_netfilter for a namespace's bridges: with net.bridge.bridge-nf-call-iptables
 * set (the Docker daemon and kubelet's CNI hosts set it), every IPv4 frame a
 * bridge receives from a port passes the IP layer's hooks with the bridge as
 * in interface, in the kernel's order:
 *
 *   br_nf_pre_routing    nf_defrag (fragments joined for conntrack), conntrack,
 *                        nat PREROUTING: a flow's first packet walks the chain,
 *                        later ones are translated from its entry (DNAT, or a
 *                        reply's un-SNAT)
 *   br_nf_pre_routing_finish  destination changed: routed (ip_route_input);
 *                        behind this same bridge, the frame is bridged again
 *                        to the new destination's MAC (bridged DNAT; through
 *                        the bridge's neighbour output when that entry is not
 *                        confirmed), else it is readdressed to the bridge and
 *                        passed up
 *   br_handle_frame_finish  the bridge decides on the frame as it now is, so
 *                        a capture on the bridge sees it translated and whole
 *   bridged:             FORWARD (in and out the bridge; -m physdev sees it
 *                        bridged), nat POSTROUTING, conntrack confirms; a
 *                        reassembled datagram leaves in fragments again no
 *                        larger than the largest that came (br_nf_dev_queue_xmit)
 *   passed up:           the IP layer skips its PREROUTING (ip_sabotage_in)
 *                        and goes on with INPUT, or FORWARD and POSTROUTING.
 *
 * That is why Docker's `-A FORWARD -i docker0 -o docker0 -j ACCEPT` exists,
 * why `conntrack -L` lists flows between two containers, and why tcpdump on
 * cni0 shows a pod's packets to a Service already addressed to a backend.
 *
 * Simplified: conntrack runs whenever the namespace has rules, not only when
 * one needs it. Not modelled: what a promiscuous bridge (tcpdump on it) does
 * besides showing frames: Linux passes its copy of a bridged-DNAT frame up as
 * addressed to the host, its conntrack entry reset, so the IP layer routes it
 * as well (FORWARD sees it INVALID; without a rule dropping that, the
 * destination gets the packet twice).
 */
import type { Bridge } from "../link/bridge.js";
import type { BridgeNetfilter, Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import { l4Length, type Ipv4Payload } from "../link/payload.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { dropPacket } from "./drop.js";
import { ipFragments } from "./ip-fragment.js";
import { isFragment, reassemble } from "./ip-reassembly.js";
import { neighOutput } from "./arp.js";
import { emitLookup } from "./ipv4.js";
import type { NetNamespace } from "./namespace.js";
import type { RouteLookup } from "./route-table.js";
import { hookFilter, hookPostrouting, hookPrerouting, type HookContext } from "./netfilter/hooks.js";

/** What PREROUTING at the bridge leaves for the hooks that follow. */
interface Bridged {
  readonly kind: "br-netfilter";
  p: Ipv4Payload;
  /** With fragMaxSize set when the datagram was reassembled here. */
  hc: HookContext;
  /** The routing decision br_nf_pre_routing_finish took for a changed destination (skb's dst), which the IP layer then keeps. */
  lookup: RouteLookup | null;
}

/** What br_netfilter hands the IP layer with a frame the bridge passes up. */
export interface PassedUp {
  hc: HookContext;
  lookup: RouteLookup | null;
}

const isBridged = (token: object | null): token is Bridged => token !== null && (token as Partial<Bridged>).kind === "br-netfilter";

export function bridgeNetfilter(ns: NetNamespace): BridgeNetfilter {
  return {
    prerouting(bridge: Device, port: Device, frame: Frame) {
      const received = frame.payload;
      if (!ns.bridgeNfCallIptables || ns.netfilter.empty || received.kind !== "ipv4") return "skip";
      let p = received;
      let fragMaxSize = 0;
      if (isFragment(p)) {
        const whole = reassemble(ns, bridge.name, frame, p, "bridge");
        if (whole === null) return null;
        p = whole.p;
        fragMaxSize = whole.fragMaxSize;
      }
      const pre = hookPrerouting(ns, bridge.name, p, frame.packetId);
      // Bridged, or passed up and routed, the datagram leaves in pieces no larger than those it came in.
      if (fragMaxSize > 0) pre.hc.fragMaxSize = fragMaxSize;
      const token: Bridged = { kind: "br-netfilter", p: pre.p, hc: pre.hc, lookup: null };
      const dst = pre.p.dst === p.dst ? frame.dst : readdress(ns, bridge, port, frame, token);
      if (dst === null) return null;
      const out = pre.p === received && dst === frame.dst ? frame : ns.ctx.buildFrame(frame.src, dst, pre.p, frame.packetId);
      return { frame: out, token };
    },
    forward(bridge: Device, token: object, frame: Frame, out: Device) {
      const b = token as Bridged;
      // Each egress port gets its own copy of the packet (br_flood clones), marked bridged for -m physdev.
      const hc: HookContext = { ...b.hc, bridged: true };
      if (!hookFilter(ns, "FORWARD", hc, b.p, bridge.name, bridge.name)) return [];
      const p = hookPostrouting(ns, hc, b.p, bridge.name);
      const length = 20 + l4Length(p.l4);
      const fragMaxSize = hc.fragMaxSize ?? 0;
      if (fragMaxSize === 0 || (length <= fragMaxSize && length <= out.mtu)) return [p === frame.payload ? frame : ns.ctx.buildFrame(frame.src, frame.dst, p, frame.packetId)];
      if (fragMaxSize > out.mtu) {
        // br_nf_ip_fragment: fragments that came larger than the port's MTU cannot leave by it.
        dropPacket(ns, { device: out.name, packetId: frame.packetId, layers: frame.layers, reason: "mtu-exceeded", summary: `${bridge.name} drops a datagram for ${out.name}: it came in fragments of up to ${fragMaxSize} bytes, larger than the port's MTU ${out.mtu}`, detail: `frag_max_size ${fragMaxSize} > mtu ${out.mtu}` });
        return [];
      }
      return ipFragments(ns, p, out.name, out.mtu, frame.packetId, fragMaxSize).map((piece) => ns.ctx.buildFrame(frame.src, frame.dst, piece, frame.packetId));
    },
  };
}

/**
 * br_nf_pre_routing_finish after PREROUTING changed the destination, routed
 * (ip_route_input): the bridge's own MAC when the packet must be routed or
 * is local, so the bridge passes it up; null when no route leads there
 * (dropped) or when the frame was handed to the neighbour output. Behind this
 * same bridge it is a bridged DNAT (br_nf_pre_routing_finish_bridge): with
 * the neighbour confirmed (NUD_CONNECTED) the frame takes its MAC as
 * destination, the source MAC kept (neigh_hh_bridge), and is bridged;
 * otherwise it goes to the bridge device's neighbour output, which resolves
 * or confirms the entry, sends it out of the bridge device, and has the
 * bridge go on bridging it from `port` (arp.ts, Bridge.transmitBridgedDnat).
 */
function readdress(ns: NetNamespace, bridge: Device, port: Device, frame: Frame, token: Bridged): string | null {
  const p = token.p;
  const lookup = ns.routes.lookup(p.dst, (r) => r.table === "local" || ns.routeUsable(r));
  emitLookup(ns, bridge.name, frame.packetId, frame, p.dst, lookup);
  token.lookup = lookup;
  const route = lookup.route;
  if (route === null) {
    dropPacket(ns, { device: bridge.name, packetId: frame.packetId, layers: frame.layers, reason: "no-route", summary: `dropped: no route to ${formatIpv4(p.dst)}, where DNAT sent the packet`, detail: `no route to ${formatIpv4(p.dst)}` });
    return null;
  }
  if (route.table === "local" || route.type !== "unicast" || route.dev !== bridge.name) return bridge.mac;
  const nextHop = route.via ?? p.dst;
  const neighbour = ns.neigh.get(bridge.name, nextHop);
  if (neighbour !== undefined && neighbour.mac !== null && (neighbour.state === "REACHABLE" || neighbour.state === "PERMANENT")) return neighbour.mac;
  neighOutput(ns, bridge, nextHop, { payload: p, packetId: frame.packetId, inDevice: bridge.name, bridgedDnat: { ingress: port, src: frame.src, token } });
  return null;
}

/** What br_netfilter already did for the frame `dev` (a bridge) is passing up: its hooks, and its route when DNAT chose one; null when it did nothing. */
export function passedUp(dev: Device): PassedUp | null {
  if (dev.kind !== "bridge") return null;
  const token = (dev as Bridge).passedUpToken;
  return isBridged(token) ? { hc: token.hc, lookup: token.lookup } : null;
}
