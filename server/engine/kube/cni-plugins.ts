/**
 * The node's CNI chain run for one pod, as the container runtime runs
 * /etc/cni/net.d/10-flannel.conflist: CNI_COMMAND=ADD runs flannel (which
 * reads its lease and delegates to bridge) then portmap; DEL runs them in
 * reverse. The bridge plugin (plugins/main/bridge, v1.3) does, in order:
 * make cni0 unless it exists and bring it up; make the veth pair, eth0 in
 * the pod's network namespace and a random vethXXXXXXXX on the host,
 * enslaved to cni0, hairpin mode on the port when configured; ask
 * host-local for an address; set it on eth0 with the routes (the pod
 * network and, isDefaultGateway, the default route, both via the bridge's
 * address); give cni0 the gateway address. MACs follow the plugins' older
 * rule, 0a:58 and the address's four bytes, as the lab files write them.
 * Each plugin run is a `cni` trace event.
 *
 * Not modelled: the pause container, CNI_ARGS beyond the pod's name, the
 * state flannel keeps in /var/lib/cni/flannel, ipMasq (flanneld
 * masquerades, so the delegate turns it off), portmap's hostPort chains.
 * Run in namespaces here (the bridge plugin 1.1.1 with flannel's delegate
 * configuration), the plugin left what this one leaves: cni0 with the MTU and
 * the gateway's /24, hairpin on every port, eth0 with the lease's address and
 * the routes default then pod network via the gateway. It differs in what a
 * lab cannot show: the plugins since 0.8 leave cni0's and eth0's MACs random
 * (here 0a:58 and the address, as the older plugins set them, so lab texts
 * can name them), and set arp_notify on eth0, whose gratuitous ARP leaves
 * before the host end joins cni0: nothing learns from it, and only a capture
 * on the new host veth shows it (not sent here).
 */
import { createHash } from "node:crypto";
import { Bridge } from "../link/bridge.js";
import { NEW_NAMESPACE_OBJECTS } from "../stack/namespace.js";
import { addCounts, type LimitReached } from "../object-quota.js";
import { attachContainerVeth } from "../topology/containers.js";
import type { Network, SimHost } from "../topology/network.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { formatMac, type MacAddress } from "../wire/mac-address.js";
import { BRIDGE_NAME, delegateConfig, gatewayOf, PLUGIN_DIR, type CniNode } from "./cni-config.js";
import type { HostLocal } from "./host-local.js";

/** What ADD leaves for the pod. */
export interface Attachment {
  containerId: string;
  netns: string;
  ip: number;
  hostVeth: string;
}

export type AttachError = { kind: "exhausted"; subnet: string } | { kind: "limit"; limit: LimitReached } | { kind: "netns-taken"; netns: string };

const IFNAME = "eth0";

/** The plugins' MAC for an address: 0a:58 then its four bytes. */
function macForIpv4(ip: number): string {
  return formatMac((0x0a58 * 2 ** 32 + ip) as MacAddress);
}

/**
 * The host end's name. The plugin draws 4 random bytes (ip.RandomVethName);
 * here they come from a hash of the node and the pod's namespace, so a lab's
 * pod has the same port name in every session and its texts and solutions
 * can name it.
 */
function vethName(node: string, netns: string): string {
  return `veth${createHash("sha256").update(`${node}/${netns}`).digest("hex").slice(0, 8)}`;
}

function emit(host: SimHost, command: "ADD" | "DEL", plugin: string, a: { containerId: string; netns: string }, device: string | null, detail: string): void {
  host.network.trace.emit({
    seq: 0,
    time: 0,
    kind: "cni",
    host: host.name,
    namespace: host.root.name,
    device,
    packetId: null,
    layers: null,
    summary: `CNI_COMMAND=${command} ${PLUGIN_DIR}/${plugin} (container ${a.containerId.slice(0, 12)}, netns ${a.netns}): ${detail}`,
    command,
    plugin,
    containerId: a.containerId,
    ifName: IFNAME,
    netns: a.netns,
    detail,
  });
}

/** The bridge plugin's ensureBridge: cni0 as it is, or made with the lease's MTU and the gateway's MAC. */
function ensureBridge(net: Network, host: SimHost, node: CniNode): { bridge: Bridge; made: boolean } {
  const found = host.root.device(BRIDGE_NAME);
  if (found instanceof Bridge) return { bridge: found, made: false };
  const bridge = new Bridge(net.ctx, host.root, host.root.allocIfindex(), BRIDGE_NAME, macForIpv4(gatewayOf(node)), node.mtu);
  host.root.attach(bridge);
  host.root.setUp(bridge, true);
  return { bridge, made: true };
}

/** ADD for a pod whose network namespace is `netns`: the chain's work, or why it failed (the pod then stays ContainerCreating). */
export function cniAdd(net: Network, host: SimHost, node: CniNode, ipam: HostLocal, netns: string): Attachment | AttachError {
  if (host.namespaces.has(netns)) return { kind: "netns-taken", netns };
  const full = net.quota.check(addCounts(NEW_NAMESPACE_OBJECTS, { devices: 3, addresses: 2, routes: 6 }));
  if (full !== null) return { kind: "limit", limit: full };
  const containerId = net.random.hex(64);
  const a = { containerId, netns };
  const subnet = `${formatIpv4(node.subnet.address)}/${node.subnet.prefixLength}`;
  const gateway = gatewayOf(node);
  emit(host, "ADD", "flannel", a, null, `reads ${subnet} (FLANNEL_MTU=${node.mtu}) from /run/flannel/subnet.env and delegates to bridge with ${delegateConfig(node)}`);
  const ip = ipam.allocate(containerId, IFNAME);
  if (ip === null) {
    emit(host, "ADD", "host-local", a, null, `no IP addresses available in range set: ${formatIpv4(node.subnet.address + 1)}-${formatIpv4(node.subnet.address + 2 ** (32 - node.subnet.prefixLength) - 2)}`);
    return { kind: "exhausted", subnet };
  }
  const { bridge, made } = ensureBridge(net, host, node);
  const ns = host.addNamespace(netns);
  const hostVeth = vethName(host.name, netns);
  attachContainerVeth(host, ns, bridge, { inside: IFNAME, outside: hostVeth, mac: macForIpv4(ip), outsideMac: net.random.mac() });
  const eth0 = ns.device(IFNAME)!;
  const outside = host.root.device(hostVeth)!;
  eth0.setMtu(node.mtu);
  outside.setMtu(node.mtu);
  bridge.setHairpin(outside, node.hairpinMode);
  emit(
    host,
    "ADD",
    "bridge",
    a,
    hostVeth,
    `${made ? `creates ${BRIDGE_NAME} (mtu ${node.mtu})` : `finds ${BRIDGE_NAME}`}, makes the veth pair ${IFNAME} in ${netns} and ${hostVeth} on the host, enslaves ${hostVeth} to ${BRIDGE_NAME}${node.hairpinMode ? ", hairpin mode on" : " (hairpin mode off)"}`,
  );
  emit(host, "ADD", "host-local", a, null, `reserves ${formatIpv4(ip)} in ${subnet} (gateway ${formatIpv4(gateway)}, last reserved now ${formatIpv4(ip)})`);
  ns.addAddress(eth0, ip, node.subnet.prefixLength);
  const route = (dst: { address: number; prefixLength: number }) =>
    ns.addRoute({ table: "main", type: "unicast", dst: dst.address, prefixLength: dst.prefixLength, via: gateway, dev: IFNAME, proto: "boot", scope: "global", src: null, metric: 0, onlink: false });
  route(node.network);
  route({ address: 0, prefixLength: 0 });
  const hasGateway = bridge.addresses.some((x) => x.address === gateway);
  if (!hasGateway) host.root.addAddress(bridge, gateway, node.subnet.prefixLength);
  emit(
    host,
    "ADD",
    "bridge",
    a,
    BRIDGE_NAME,
    `sets ${formatIpv4(ip)}/${node.subnet.prefixLength} on ${IFNAME} with routes ${formatIpv4(node.network.address)}/${node.network.prefixLength} and default via ${formatIpv4(gateway)}${hasGateway ? "" : `; gives ${BRIDGE_NAME} ${formatIpv4(gateway)}/${node.subnet.prefixLength}`}`,
  );
  emit(host, "ADD", "portmap", a, null, "no portMappings for this pod: nothing to add");
  return { containerId, netns, ip, hostVeth };
}

/** DEL: portmap, then flannel's delegate (host-local releases, bridge deletes eth0 and with it the host's veth), then the namespace goes with the pod. */
export function cniDel(host: SimHost, ipam: HostLocal, a: Attachment): void {
  emit(host, "DEL", "portmap", a, null, "no portMappings for this pod: nothing to remove");
  emit(host, "DEL", "flannel", a, null, "delegates DEL to bridge with the configuration it saved at ADD");
  const freed = ipam.release(a.containerId);
  emit(host, "DEL", "host-local", a, null, freed.length === 0 ? "nothing reserved for this container" : `releases ${freed.map(formatIpv4).join(", ")}`);
  emit(host, "DEL", "bridge", a, a.hostVeth, `deletes ${IFNAME} in ${a.netns}; its peer ${a.hostVeth} leaves ${BRIDGE_NAME} with it`);
  host.deleteNamespace(a.netns);
}
