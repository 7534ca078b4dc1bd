/**
 * A pod's /etc/resolv.conf as the kubelet has the runtime write it for the
 * ClusterFirst DNS policy: the search path of the pod's namespace, the
 * cluster's DNS Service as nameserver, and `options ndots:5`; and the stub
 * resolver's reading of it: which names to ask for, in order (a name with
 * at least ndots dots is tried as written first, any other after the search
 * domains; a name ending in a dot is tried alone).
 */
import type { Pod } from "../kube/cluster.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { CommandContext } from "./command-context.js";

export interface ResolvConf {
  search: string[];
  nameserver: number;
  ndots: number;
}

/** The pod whose network namespace the command runs in, if the cluster has one there. */
export function podHere(ctx: CommandContext): Pod | null {
  const cluster = ctx.net.kube;
  if (cluster === null) return null;
  for (const pod of cluster.pods.values()) if (pod.node === ctx.host.name && pod.netns === ctx.ns.name) return pod;
  return null;
}

/** The resolver configuration of the command's namespace: a pod's when the cluster gives pods its DNS, else none. */
export function resolvConf(ctx: CommandContext): ResolvConf | null {
  const pod = podHere(ctx);
  const dns = ctx.net.kube?.dns ?? null;
  if (pod === null || dns === null) return null;
  return { search: [`${pod.namespace}.svc.${dns.domain}`, `svc.${dns.domain}`, dns.domain], nameserver: dns.nameserver, ndots: 5 };
}

/** The file's lines, as containerd writes them. */
export function resolvConfLines(c: ResolvConf): string[] {
  return [`search ${c.search.join(" ")}`, `nameserver ${formatIpv4(c.nameserver)}`, `options ndots:${c.ndots}`];
}

/** The names the resolver asks for, in order, each without its trailing dot. */
export function candidateNames(c: ResolvConf, name: string): string[] {
  if (name.endsWith(".")) return [name.slice(0, -1)];
  const searched = c.search.map((d) => `${name}.${d}`);
  const dots = name.split(".").length - 1;
  return dots >= c.ndots ? [name, ...searched] : [...searched, name];
}
