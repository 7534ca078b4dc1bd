/**
 * The paths `cat` and `ls` show in a terminal's namespace, from the
 * session's /state, for Tab to complete: on a node whose CNI chain attaches
 * pods, the chain's files (as the server lists them); in sysfs, each bridge's
 * brif/ ports and their hairpin_mode (by /sys/class/net and by
 * /sys/devices/virtual/net, and each port's brport/hairpin_mode); in a pod
 * of a cluster with DNS, /etc/resolv.conf. Directories end in "/".
 */
import type { NetworkState } from "../api/types.js";

export function knownFiles(state: NetworkState | null, host: string, namespace: string | null): string[] {
  const h = state?.hosts.find((x) => x.name === host);
  const nsName = namespace ?? "root";
  const ns = h?.namespaces.find((n) => n.name === nsName);
  if (h === undefined || ns === undefined) return [];
  const out: string[] = [];
  const k = state!.kubernetes;
  if (nsName === "root") out.push(...(k?.cniFiles.find((c) => c.node === host)?.paths ?? []));
  for (const bridge of ns.interfaces.filter((d) => d.kind === "bridge")) {
    for (const port of ns.interfaces.filter((d) => d.master === bridge.name)) {
      out.push(`/sys/class/net/${bridge.name}/brif/${port.name}/hairpin_mode`, `/sys/devices/virtual/net/${bridge.name}/brif/${port.name}/hairpin_mode`, `/sys/class/net/${port.name}/brport/hairpin_mode`);
    }
  }
  if (k?.dns === true && k.pods.some((p) => p.node === host && p.netns === nsName)) out.push("/etc/resolv.conf");
  return out;
}
