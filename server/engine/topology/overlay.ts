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
import type { Frame } from "../link/frame.js";
import type { Ipv4Payload } from "../link/payload.js";
import { neighUpdate } from "../stack/arp.js";
import { Vxlan } from "../link/vxlan.js";
import { PointToPoint, ZERO_MAC } from "../link/point-to-point.js";
import { parseIpv4Packet } from "../stack/frame-parser.js";
import { udpSend } from "../stack/udp.js";
import { dropPacket } from "../stack/drop.js";
import { tcpConnect } from "../stack/tcp.js";
import { Veth } from "../link/veth.js";
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

/**
 * flannel's UDP backend: flannel0 is a TUN device whose other end is flanneld
 * in user space. flanneld gives it the lease's first address as a /32 (no
 * broadcast routes) and routes the whole pod network into it
 * (`10.244.0.0/16 dev flannel0`). Every packet routed into flannel0 is read
 * by flanneld, looked up in the subnet lease table, and sent as the payload
 * of a UDP datagram (port 8285, from an ordinary socket: DF set) to the
 * peer's flanneld, which writes it into its own flannel0. Like a router,
 * flanneld's proxy takes one off the inner TTL at each step (tun_to_udp and
 * udp_to_tun), discarding a packet whose TTL reaches 0 without a word: a
 * ping across it reports ttl=60 where VXLAN gives 62. Each crossing between
 * kernel and user space is a trace event: the reason this backend is the
 * slow one.
 */
function attachFlanneld(net: Network, m: Member, members: Member[], network: string, port: number): void {
  const root = m.host.root;
  const tun = new PointToPoint(net.ctx, root, root.allocIfindex(), "flannel0", m.underlay.mtu - 28, "tun");
  tun.tun = { persist: false, attached: true, user: null, group: null };
  root.attach(tun);
  const pod = parseIpv4CidrOrThrow(network);
  root.addAddress(tun, m.subnet.address, 32);
  root.setUp(tun, true);
  root.addRoute({ table: "main", type: "unicast", dst: pod.address, prefixLength: pod.prefixLength, via: null, dev: "flannel0", proto: "boot", scope: "link", src: null, metric: 0, onlink: false });
  const process = "flanneld";
  const step = (action: "read" | "lookup" | "write", packetId: number, detail: string) =>
    net.ctx.trace.emit({ seq: 0, time: 0, kind: "tunnel-user", host: m.host.name, namespace: root.name, device: "flannel0", packetId, layers: null, summary: `flanneld ${detail}`, process, action, detail });
  /** decrement_ttl: the packet with one less TTL, or null (dropped) when none is left. */
  const decrementTtl = (p: Ipv4Payload, packetId: number, layers: Frame["layers"] | null): Ipv4Payload | null => {
    if (p.ttl > 1) return { ...p, ttl: p.ttl - 1 };
    dropPacket(root, {
      device: "flannel0",
      packetId,
      layers,
      summary: `flanneld discards ${formatIpv4(p.src)} > ${formatIpv4(p.dst)}: its TTL would reach 0 (no ICMP time exceeded is sent)`,
      reason: "ttl-expired",
      detail: "flanneld decrement_ttl",
    });
    return null;
  };
  tun.deliver = (_dev, frame) => {
    if (frame.payload.kind !== "ipv4") return;
    step("read", frame.packetId, `reads a ${frame.bytes.length - 14}-byte packet from /dev/net/tun (kernel → user space)`);
    const dst = frame.payload.dst;
    const peer = members.find((x) => x !== m && ((dst ^ x.subnet.address) & prefixMask(x.subnet.prefixLength)) === 0);
    if (peer === undefined) {
      dropPacket(root, { device: "flannel0", packetId: frame.packetId, layers: frame.layers, summary: `flanneld: no subnet lease contains ${formatIpv4(dst)}`, reason: "no-route", detail: "no lease" });
      return;
    }
    step("lookup", frame.packetId, `finds ${formatIpv4(dst)} in ${peer.host.name}'s lease ${formatIpv4(peer.subnet.address)}/${peer.subnet.prefixLength} → ${formatIpv4(peer.local)}`);
    const inner = decrementTtl(frame.payload, frame.packetId, frame.layers);
    if (inner === null) return;
    const ip = net.ctx.encodePacket(inner);
    net.ctx.trace.emit({
      seq: 0,
      time: 0,
      kind: "encap",
      host: m.host.name,
      namespace: root.name,
      device: "flannel0",
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `flanneld wraps ${frame.summary} in UDP ${formatIpv4(m.local)}:${port} > ${formatIpv4(peer.local)}:${port}, ttl ${frame.payload.ttl} → ${inner.ttl} (user space → kernel)`,
      tunnel: "flannel-udp",
      outer: `${formatIpv4(m.local)}:${port} > ${formatIpv4(peer.local)}:${port}`,
      vni: null,
      inner: frame.summary,
    });
    udpSend(root, peer.local, port, port, ip, { src: m.local, packetId: frame.packetId });
  };
  root.sockets.bindUdp({
    address: 0,
    port,
    process,
    onDatagram: (from, fromPort, data, packetId) => {
      const parsed = parseIpv4Packet(data);
      if (!parsed.ok) return;
      const inner = decrementTtl(parsed.value, packetId, null);
      if (inner === null) return;
      const frame = net.ctx.buildFrame(ZERO_MAC, ZERO_MAC, inner, packetId);
      net.ctx.trace.emit({
        seq: 0,
        time: 0,
        kind: "decap",
        host: m.host.name,
        namespace: root.name,
        device: "flannel0",
        packetId,
        layers: frame.layers,
        summary: `flanneld unwraps ${frame.summary} from UDP ${formatIpv4(from)}:${fromPort}, ttl ${parsed.value.ttl} → ${inner.ttl}`,
        tunnel: "flannel-udp",
        outer: `${formatIpv4(from)}:${fromPort} > ${formatIpv4(m.local)}:${port}`,
        vni: null,
        inner: frame.summary,
      });
      step("write", packetId, `writes the ${data.length}-byte packet to /dev/net/tun (user space → kernel)`);
      tun.receive(frame);
    },
  });
}

const BGP_PORT = 179;

/**
 * Calico: no bridge. Each pod's host-side veth (cali*) answers ARP for the
 * pod's gateway 169.254.1.1 by proxy ARP, and felix routes each pod address
 * (/32) to its cali device. BIRD on every node keeps a BGP session with every
 * other node (node-to-node mesh, TCP 179) and installs their blocks:
 * `10.244.2.0/26 via 10.168.0.3 dev eth0 proto bird`, or in IPIP mode
 * `… via 10.168.1.3 dev tunl0 proto bird onlink`. A node's own block is a
 * blackhole route, so addresses of the block with no pod go nowhere.
 */
function buildCalico(net: Network, members: Member[], mode: "bgp" | "ipip", iface: string, log: string[]): void {
  for (const m of members) {
    const root = m.host.root;
    root.addRoute({ table: "main", type: "blackhole", dst: m.subnet.address, prefixLength: m.subnet.prefixLength, via: null, dev: "lo", proto: "bird", scope: "global", src: null, metric: 0, onlink: false });
    for (const dev of root.deviceList()) {
      if (!(dev instanceof Veth) || !dev.name.startsWith("cali") || dev.peer === null) continue;
      dev.proxyArp = true;
      for (const a of dev.peer.addresses) {
        root.addRoute({ table: "main", type: "unicast", dst: a.address, prefixLength: 32, via: null, dev: dev.name, proto: "boot", scope: "link", src: null, metric: 0, onlink: false });
      }
    }
    if (mode === "ipip") {
      const tunl = new PointToPoint(net.ctx, root, root.allocIfindex(), "tunl0", m.underlay.mtu - 20, "ipip");
      root.attach(tunl);
      root.addAddress(tunl, m.subnet.address, 32);
      root.setUp(tunl, true);
    }
    root.sockets.listenTcp({ address: 0, port: BGP_PORT, process: "bird", serve: () => null });
  }
  // The node-to-node mesh: each pair keeps one BGP session, opened by the node with the lower address.
  for (const [i, m] of members.entries()) {
    for (const peer of members.slice(i + 1)) tcpConnect(m.host.root, peer.local, BGP_PORT, "bird", {});
  }
  net.scheduler.runUntil(net.scheduler.now + 100_000);
  for (const m of members) {
    const root = m.host.root;
    for (const peer of members) {
      if (peer === m) continue;
      const onLink = m.underlay.addresses.some((a) => ((a.address ^ peer.local) & prefixMask(a.prefixLength)) === 0);
      if (mode === "ipip") {
        root.addRoute({ table: "main", type: "unicast", dst: peer.subnet.address, prefixLength: peer.subnet.prefixLength, via: peer.local, dev: "tunl0", proto: "bird", scope: "global", src: null, metric: 0, onlink: true });
      } else if (onLink) {
        root.addRoute({ table: "main", type: "unicast", dst: peer.subnet.address, prefixLength: peer.subnet.prefixLength, via: peer.local, dev: iface, proto: "bird", scope: "global", src: null, metric: 0, onlink: false });
      } else {
        log.push(`${m.host.name} bird: route ${formatIpv4(peer.subnet.address)}/${peer.subnet.prefixLength} via ${formatIpv4(peer.local)} ignored: next hop not on a connected network (use IPIP mode)`);
      }
    }
  }
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
          // flanneld's netlink neighbour update; built with the lab, so never refused.
          neighUpdate(root, m.vtep!, gw, peer.vtep!.mac, "PERMANENT", `flanneld: ${peer.host.name}'s VTEP`);
          m.vtep!.setRemote(peer.vtep!.mac, peer.local);
        }
      }
      break;
    }
    case "flannel-udp": {
      for (const m of members) attachFlanneld(net, m, members, spec.network, spec.port ?? 8285);
      break;
    }
    case "calico": {
      buildCalico(net, members, spec.mode ?? "bgp", iface, log);
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
