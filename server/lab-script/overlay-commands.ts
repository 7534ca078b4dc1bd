/**
 * The overlay as each node's daemon would program it on a real machine
 * (topology/overlay.ts is the simulator's side of the same):
 *  - flannel-vxlan: flannel.1 (VNI, UDP port, no learning, MTU 50 below the
 *    underlay's) with the lease's .0/32, and per peer an onlink route, a
 *    permanent neighbour and an FDB entry to the peer's underlay address;
 *  - flannel-udp: flannel0, a TUN device with the lease's .0/32 and a route
 *    to the whole pod network through it, and flanneld, the user-space proxy
 *    between flannel0 and UDP port 8285 (flanneld.ts);
 *  - host-gw: per peer a route via the peer's underlay address, left out
 *    (with flanneld's complaint as a comment) when that address is not on-link;
 *  - calico: a blackhole for the node's own block, proxy ARP and a /32 route
 *    per cali* veth, the peers' blocks `proto bird`, over tunl0 (IPIP) or
 *    eth0. There is no BIRD: the routes it would learn are written directly.
 * Devices whose kind this kernel may lack (IPIP) are checked for first, and
 * the script stops with a message naming the module it needs.
 */
import type { NetworkState, TopologySpec } from "../engine/index.js";
import { comment, execIn, ipIn } from "./script-lines.js";
import { namespaceSuffix } from "./script-names.js";
import { simulatedMac } from "./topology-commands.js";

type Overlay = NonNullable<TopologySpec["overlay"]>;

interface Member {
  host: string;
  ns: string;
  subnet: string;
  subnetAddress: string;
  local: string;
  localPrefix: number;
  mtu: number;
}

function ipv4ToInt(a: string): number {
  return a.split(".").reduce((n, part) => n * 256 + Number(part), 0) >>> 0;
}

function sameSubnet(a: string, b: string, prefix: number): boolean {
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((ipv4ToInt(a) & mask) >>> 0) === ((ipv4ToInt(b) & mask) >>> 0);
}

export function overlayMembers(spec: TopologySpec, overlay: Overlay): Member[] {
  const iface = overlay.interface ?? "eth0";
  return Object.entries(overlay.subnets).map(([host, subnet]) => {
    const h = spec.hosts.find((x) => x.name === host)!;
    const nic = (h.nics ?? []).find((n) => n.name === iface && (n.namespace ?? "root") === "root");
    const [local = "0.0.0.0", prefix = "32"] = (nic?.addresses?.[0] ?? "0.0.0.0/32").split("/");
    return { host, ns: namespaceSuffix(host, null), subnet, subnetAddress: subnet.split("/")[0]!, local, localPrefix: Number(prefix), mtu: nic?.mtu ?? 1500 };
  });
}

export function overlayLines(spec: TopologySpec, state: NetworkState): string[] {
  const overlay = spec.overlay;
  if (overlay === undefined) return [];
  const members = overlayMembers(spec, overlay);
  const iface = overlay.interface ?? "eth0";
  const peers = (m: Member) => members.filter((p) => p !== m);
  const lines: string[] = [comment(`Overlay: ${overlay.backend}${overlay.mode === undefined ? "" : ` (${overlay.mode})`}, pod network ${overlay.network}.`)];
  switch (overlay.backend) {
    case "flannel-vxlan": {
      const vni = String(overlay.vni ?? 1);
      const port = String(overlay.port ?? 8472);
      for (const m of members) {
        const mac = simulatedMac(state, m.host, undefined, "flannel.1");
        lines.push(
          ipIn(m.ns, ["link", "add", "flannel.1", ...(mac === undefined ? [] : ["address", mac]), "mtu", String(m.mtu - 50), "type", "vxlan", "id", vni, "local", m.local, "dev", iface, "dstport", port, "nolearning"]),
          ipIn(m.ns, ["addr", "add", `${m.subnetAddress}/32`, "dev", "flannel.1"]),
          ipIn(m.ns, ["link", "set", "flannel.1", "up"]),
        );
      }
      for (const m of members) {
        for (const p of peers(m)) {
          const mac = simulatedMac(state, p.host, undefined, "flannel.1") ?? "00:00:00:00:00:00";
          lines.push(
            comment(`${m.host} → ${p.host}'s lease ${p.subnet}: flanneld's route, neighbour and FDB entry.`),
            ipIn(m.ns, ["route", "add", p.subnet, "via", p.subnetAddress, "dev", "flannel.1", "onlink"]),
            ipIn(m.ns, ["neigh", "replace", p.subnetAddress, "lladdr", mac, "dev", "flannel.1", "nud", "permanent"]),
            execIn(m.ns, ["bridge", "fdb", "append", mac, "dev", "flannel.1", "dst", p.local]),
          );
        }
      }
      return lines;
    }
    case "flannel-udp": {
      const port = overlay.port ?? 8285;
      for (const m of members) {
        const leases = members.map((x) => `${x.subnet}=${x.local}`).join(",");
        lines.push(
          ipIn(m.ns, ["tuntap", "add", "dev", "flannel0", "mode", "tun"]),
          ipIn(m.ns, ["link", "set", "flannel0", "mtu", String(m.mtu - 28), "up"]),
          ipIn(m.ns, ["addr", "add", `${m.subnetAddress}/32`, "dev", "flannel0"]),
          ipIn(m.ns, ["route", "add", overlay.network, "dev", "flannel0"]),
          comment(`flanneld on ${m.host}: reads flannel0, sends each packet to the lease holder's UDP ${port}, writes what arrives back into flannel0.`),
          `start_flanneld "\${P}${m.ns}" ${port} ${leases}`,
        );
      }
      return lines;
    }
    case "host-gw": {
      for (const m of members) {
        for (const p of peers(m)) {
          if (sameSubnet(m.local, p.local, m.localPrefix)) lines.push(ipIn(m.ns, ["route", "add", p.subnet, "via", p.local, "dev", iface]));
          else lines.push(comment(`${m.host} flanneld cannot add ${p.subnet} via ${p.local} dev ${iface}: the gateway is not on-link (host-gw needs one L2 network).`));
        }
      }
      return lines;
    }
    case "calico": {
      const mode = overlay.mode ?? "bgp";
      if (mode === "ipip") lines.push(comment("IPIP needs a kernel with the ipip module (CONFIG_NET_IPIP): without it tunl0 cannot exist."), "require_link_kind ipip");
      for (const m of members) {
        lines.push(ipIn(m.ns, ["route", "add", "blackhole", m.subnet, "proto", "bird"]));
        const host = spec.hosts.find((h) => h.name === m.host)!;
        for (const v of host.veths ?? []) {
          if (!v.name.startsWith("cali") || (v.namespace ?? "root") !== "root") continue;
          lines.push(execIn(m.ns, ["sysctl", "-qw", `net.ipv4.conf.${v.name}.proxy_arp=1`]));
          for (const a of v.peer.addresses ?? []) lines.push(ipIn(m.ns, ["route", "add", `${a.split("/")[0]}/32`, "dev", v.name, "scope", "link"]));
        }
        if (mode === "ipip") {
          lines.push(
            comment("tunl0 is the fallback IPIP device the ipip module makes in every namespace."),
            ipIn(m.ns, ["link", "set", "tunl0", "mtu", String(m.mtu - 20), "up"]),
            ipIn(m.ns, ["addr", "add", `${m.subnetAddress}/32`, "dev", "tunl0"]),
          );
        }
      }
      for (const m of members) {
        for (const p of peers(m)) {
          if (mode === "ipip") lines.push(ipIn(m.ns, ["route", "add", p.subnet, "via", p.local, "dev", "tunl0", "proto", "bird", "onlink"]));
          else if (sameSubnet(m.local, p.local, m.localPrefix)) lines.push(ipIn(m.ns, ["route", "add", p.subnet, "via", p.local, "dev", iface, "proto", "bird"]));
          else lines.push(comment(`${m.host} bird would ignore ${p.subnet} via ${p.local}: the next hop is not on a connected network (use IPIP mode).`));
        }
      }
      return lines;
    }
  }
}
