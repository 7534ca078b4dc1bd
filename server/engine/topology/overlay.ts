/**
 * Builds the overlay between hosts the way its daemon would program each
 * node (the chapter's "special bridge"):
 *  - flannel-vxlan: a VTEP flannel.1 (VNI 1, UDP 8472, MTU 50 below the
 *    underlay's) with the subnet's .0/32; per peer a route
 *    `10.244.2.0/24 via 10.244.2.0 dev flannel.1 onlink`, a permanent
 *    neighbour for the peer VTEP's address and an FDB entry from the peer
 *    VTEP's MAC to the peer host's underlay address;
 *  - host-gw: per peer a route to its pod subnet via the peer's underlay
 *    address, which the kernel accepts only when that address is on-link —
 *    so across a router flanneld cannot add it and the route is missing.
 * What the daemon could not do is returned as log lines (flanneld's words).
 */
import { Nic } from "../link/nic.js";
import { Vxlan } from "../link/vxlan.js";
import type { NetNamespace } from "../stack/namespace.js";
import { attachVxlan } from "../stack/vxlan-tunnel.js";
import { formatIpv4, parseIpv4CidrOrThrow, prefixMask } from "../wire/ipv4-address.js";
import type { Network, SimHost } from "./network.js";
import type { OverlaySpec } from "./topology-schema.js";

interface Member {
  host: SimHost;
  subnet: { address: number; prefixLength: number };
  underlay: Nic;
  local: number;
  vtep: Vxlan | null;
}

function route(ns: NetNamespace, dst: { address: number; prefixLength: number }, via: number, dev: string, onlink: boolean): void {
  ns.addRoute({ table: "main", type: "unicast", dst: dst.address, prefixLength: dst.prefixLength, via, dev, proto: "boot", scope: "global", src: null, metric: 0, onlink });
}

export function buildOverlay(net: Network, spec: OverlaySpec): string[] {
  const log: string[] = [];
  const iface = spec.interface ?? "eth0";
  const members: Member[] = [];
  for (const [name, subnet] of Object.entries(spec.subnets)) {
    const host = net.hosts.get(name)!;
    const underlay = host.root.device(iface) as Nic;
    members.push({ host, subnet: parseIpv4CidrOrThrow(subnet), underlay, local: underlay.addresses[0]!.address, vtep: null });
  }
  switch (spec.backend) {
    case "flannel-vxlan": {
      for (const m of members) {
        const root = m.host.root;
        const vtep = new Vxlan(net.ctx, root, root.allocIfindex(), "flannel.1", net.random.mac(), m.underlay.mtu - 50, {
          vni: spec.vni ?? 1,
          port: spec.port ?? 8472,
          local: m.local,
          underlay: m.underlay.name,
        });
        root.attach(vtep);
        attachVxlan(root, vtep);
        root.addAddress(vtep, m.subnet.address, 32);
        root.setUp(vtep, true);
        m.vtep = vtep;
      }
      for (const m of members) {
        const root = m.host.root;
        for (const peer of members) {
          if (peer === m) continue;
          const gw = peer.subnet.address;
          route(root, peer.subnet, gw, "flannel.1", true);
          const n = root.neigh.create("flannel.1", gw, net.scheduler.now);
          n.mac = peer.vtep!.mac;
          n.state = "PERMANENT";
          m.vtep!.fdb.set(peer.vtep!.mac, peer.local);
        }
      }
      break;
    }
    case "host-gw": {
      for (const m of members) {
        const root = m.host.root;
        for (const peer of members) {
          if (peer === m) continue;
          const reachable = m.underlay.addresses.some((a) => ((a.address ^ peer.local) & prefixMask(a.prefixLength)) === 0);
          if (!reachable) {
            log.push(
              `${m.host.name} flanneld: Error adding route to ${formatIpv4(peer.subnet.address)}/${peer.subnet.prefixLength} via ${formatIpv4(peer.local)} dev ${iface}: network is unreachable (host-gw needs every host on one L2 network)`,
            );
            continue;
          }
          route(root, peer.subnet, peer.local, iface, false);
        }
      }
      break;
    }
  }
  return log;
}
