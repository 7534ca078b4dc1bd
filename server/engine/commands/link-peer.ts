/**
 * Where a device's link partner is, as the kernel reports it through
 * IFLA_LINK and IFLA_LINK_NETNSID, and how the tools print that:
 *   - `ip link` names a veth's peer after the '@': its name when the peer is
 *     in the same namespace (veth0@veth1), "if" and its ifindex when it is in
 *     another one (eth0@if3), then adds `link-netnsid N` (or `link-netns NAME`
 *     when the peer's namespace is a named one, `ip netns add`, visible from
 *     here);
 *   - `bridge link` looks the peer's ifindex up among the devices of its own
 *     namespace whatever namespace the peer is in, which is why a container's
 *     host-side veth shows as veth9c02e56@docker0 (index 2 is docker0 on the
 *     host).
 * Namespace ids: the kernel hands them out on first need; we number the other
 * namespaces of the host in creation order, which is what a Docker host shows.
 */
import type { Device } from "../link/device.js";
import { Veth } from "../link/veth.js";
import type { NetNamespace } from "../stack/namespace.js";
import type { SimHost } from "../topology/network.js";
import { ROOT_NAMESPACE } from "../topology/topology-schema.js";

/** The other end of a veth, or null for devices without a link partner. */
export function vethPeer(dev: Device): Veth | null {
  return dev instanceof Veth ? dev.peer : null;
}

function inNamespace(dev: Device, ns: NetNamespace): boolean {
  return dev.ns.host === ns.host && dev.ns.name === ns.name;
}

/** The peer when it lives in the same namespace as `dev` (M-DOWN, @name, LOWERLAYERDOWN). */
export function sameNamespacePeer(dev: Device, ns: NetNamespace): Veth | null {
  const peer = vethPeer(dev);
  return peer !== null && inNamespace(peer, ns) ? peer : null;
}

/** Whether a namespace belongs to a container (Docker does not name it under /var/run/netns). */
export function isContainerNamespace(host: SimHost, ns: NetNamespace): boolean {
  for (const c of host.containers.values()) if (c.network !== "host" && c.namespace === ns.name) return true;
  return false;
}

/** Namespaces made with `ip netns add`: named, so iproute2 can print their names. */
export function isNamedNamespace(host: SimHost, ns: NetNamespace): boolean {
  return ns.name !== ROOT_NAMESPACE && !isContainerNamespace(host, ns);
}

/** The id `viewer` gives `other`: its position among the host's other namespaces, in creation order. */
export function netnsId(host: SimHost, viewer: NetNamespace, other: NetNamespace): number {
  let id = 0;
  for (const ns of host.namespaces.values()) {
    if (ns === other) return id;
    if (ns !== viewer) id++;
  }
  return -1;
}

/** The namespace object a device lives in, when it is on this host. */
function namespaceOfDevice(host: SimHost, dev: Device): NetNamespace | undefined {
  return dev.ns.host === host.name ? host.namespaces.get(dev.ns.name) : undefined;
}

/** "@if3", "@veth1" or "" after the name in `ip link` / `ip addr`. */
export function ipLinkSuffix(dev: Device, ns: NetNamespace): string {
  const peer = vethPeer(dev);
  if (peer === null) return "";
  return inNamespace(peer, ns) ? `@${peer.name}` : `@if${peer.ifindex}`;
}

/** "link-netnsid 0", "link-netns ns1", or null when the partner is local or absent. */
export function linkNetnsLabel(dev: Device, host: SimHost, ns: NetNamespace): string | null {
  const peer = vethPeer(dev);
  if (peer === null || inNamespace(peer, ns)) return null;
  const other = namespaceOfDevice(host, peer);
  if (other === undefined) return null;
  if (isNamedNamespace(host, other) && !isContainerNamespace(host, ns)) return `link-netns ${other.name}`;
  return `link-netnsid ${netnsId(host, ns, other)}`;
}

/** "@docker0"-style suffix of `bridge link`: the peer's ifindex resolved in this namespace. */
export function bridgeLinkSuffix(dev: Device, ns: NetNamespace): string {
  const peer = vethPeer(dev);
  if (peer === null) return "";
  const local = ns.deviceList().find((d) => d.ifindex === peer.ifindex);
  return `@${local?.name ?? `if${peer.ifindex}`}`;
}
