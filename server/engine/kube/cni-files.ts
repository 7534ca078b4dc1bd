/**
 * The directories of a node's CNI chain and what they hold, as the node's
 * file system shows them: the conflist's folder, the plugins in
 * /opt/cni/bin, flanneld's /run/flannel, and host-local's store (one file
 * per address it handed out, the last one it reserved, its lock). What
 * `cat` and `ls` read (commands/node-files.ts) and the terminal completes.
 */
import { formatIpv4 } from "../wire/ipv4-address.js";
import { IPAM_DIR, PLUGIN_DIR, PLUGINS } from "./cni-config.js";
import type { HostLocal } from "./host-local.js";

export function cniDirectories(ipam: HostLocal): Record<string, string[]> {
  const reserved = [...ipam.reserved.keys()].sort((a, b) => a - b);
  return {
    "/etc/cni/net.d": ["10-flannel.conflist"],
    [PLUGIN_DIR]: PLUGINS,
    "/run/flannel": ["subnet.env"],
    [IPAM_DIR]: [...reserved.map(formatIpv4), ...(ipam.lastReserved === null ? [] : ["last_reserved_ip.0"]), "lock"],
  };
}

/** Every path under them, directories ending in "/". */
export function cniPaths(ipam: HostLocal): string[] {
  return Object.entries(cniDirectories(ipam)).flatMap(([dir, entries]) => [`${dir}/`, ...entries.map((e) => `${dir}/${e}`)]);
}
