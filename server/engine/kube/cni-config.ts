/**
 * What a node's container runtime reads to attach a pod, as a flannel
 * cluster installs it: /etc/cni/net.d/10-flannel.conflist (kube-flannel.yml's
 * cni-conf.json: flannel delegating with hairpinMode and isDefaultGateway,
 * then portmap), flanneld's /run/flannel/subnet.env, and the plugin binaries
 * in /opt/cni/bin (containernetworking/plugins v1.3.0 and flannel's own).
 * Also the bridge configuration flannel's plugin derives and hands to the
 * bridge plugin (flannel-cni's delegateAdd): bridge cni0, isGateway,
 * ipMasq off because flanneld masquerades, the lease's MTU, host-local IPAM
 * over the node's subnet with a route to the whole pod network.
 */
import { formatIpv4 } from "../wire/ipv4-address.js";

export const CONFLIST_PATH = "/etc/cni/net.d/10-flannel.conflist";
export const SUBNET_ENV_PATH = "/run/flannel/subnet.env";
export const PLUGIN_DIR = "/opt/cni/bin";
/** host-local's state: one file per address holding the container's id and interface, and the last address handed out. */
export const IPAM_DIR = "/var/lib/cni/networks/cbr0";
export const NETWORK_NAME = "cbr0";
export const BRIDGE_NAME = "cni0";

export const PLUGINS = ["bandwidth", "bridge", "dhcp", "dummy", "firewall", "flannel", "host-device", "host-local", "ipvlan", "loopback", "macvlan", "portmap", "ptp", "sbr", "static", "tap", "tuning", "vlan", "vrf"];

/** One node's CNI setup: the flannel lease and the conflist's options. */
export interface CniNode {
  /** The node's pod subnet (flannel's lease). */
  subnet: { address: number; prefixLength: number };
  /** The cluster's pod network. */
  network: { address: number; prefixLength: number };
  /** FLANNEL_MTU: the underlay's MTU less the backend's overhead. */
  mtu: number;
  /** The delegate's hairpinMode (kube-flannel.yml sets true). */
  hairpinMode: boolean;
}

const cidr = (c: { address: number; prefixLength: number }) => `${formatIpv4(c.address)}/${c.prefixLength}`;

export function conflist(hairpinMode: boolean): string[] {
  const text = {
    name: NETWORK_NAME,
    cniVersion: "0.3.1",
    plugins: [
      { type: "flannel", delegate: { hairpinMode, isDefaultGateway: true } },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
  return JSON.stringify(text, null, 2).split("\n");
}

/** The gateway: the subnet's first address, which the bridge takes (isGateway). */
export function gatewayOf(node: CniNode): number {
  return (node.subnet.address + 1) >>> 0;
}

export function subnetEnv(node: CniNode): string[] {
  return [`FLANNEL_NETWORK=${cidr(node.network)}`, `FLANNEL_SUBNET=${formatIpv4(gatewayOf(node))}/${node.subnet.prefixLength}`, `FLANNEL_MTU=${node.mtu}`, "FLANNEL_IPMASQ=true"];
}

/** The delegate's configuration, as flannel passes it to the bridge plugin (one line, as it logs it). */
export function delegateConfig(node: CniNode): string {
  return JSON.stringify({
    cniVersion: "0.3.1",
    hairpinMode: node.hairpinMode,
    ipMasq: false,
    ipam: { ranges: [[{ subnet: cidr(node.subnet) }]], routes: [{ dst: cidr(node.network) }], type: "host-local" },
    isDefaultGateway: true,
    isGateway: true,
    mtu: node.mtu,
    name: NETWORK_NAME,
    type: "bridge",
  });
}
