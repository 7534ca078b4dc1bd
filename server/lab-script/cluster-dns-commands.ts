/**
 * The cluster's DNS in the real lab. Each pod the simulator gives a
 * resolv.conf (the kubelet's, for the ClusterFirst policy) gets the same
 * file in /etc/netns/<namespace>/, which `ip netns exec` mounts over
 * /etc/resolv.conf for every process it starts there, and a
 * `hosts: files dns` nsswitch.conf beside it, as a pod's image has (the
 * machine's own may send names to mDNS first): so a real tool's resolver
 * (glibc's getaddrinfo, nslookup) sends its real queries to the kube-dns
 * Service, through the real kube-proxy rules. The cleanup removes them.
 *
 * Who answers: CoreDNS does not run here. A pod that serves DNS runs a small
 * responder instead (runtime-helpers.ts) that stands in for it, answering as
 * the simulated CoreDNS does (kube/dns-server.ts) from the zone the
 * simulator serves when the lab starts (kube/dns-zone.ts): the same records,
 * TTL, flags and sections, NXDOMAIN and NODATA with the zone's SOA.
 */
import type { Engine, NetworkState } from "../engine/index.js";
import { comment } from "./script-lines.js";
import { namespaceSuffix, nsRef } from "./script-names.js";
import { shellQuote } from "./shell-quote.js";

/** The files written for each pod: the simulator's resolv.conf, and which sources the resolver asks. */
export function podResolverLines(state: NetworkState, engine: Engine): string[] {
  const kube = state.kubernetes;
  if (kube === null || !kube.dns) return [];
  const lines: string[] = [];
  for (const pod of kube.pods) {
    const file = engine.run({ host: pod.node, namespace: pod.netns, command: "cat /etc/resolv.conf" });
    if (file.exitCode !== 0) continue;
    const where = nsRef(namespaceSuffix(pod.node, pod.netns));
    const resolvConf = file.output.split("\n").filter((l) => l !== "");
    lines.push(
      comment(`Pod ${pod.namespace}/${pod.name}: the kubelet's resolv.conf, as the simulator has it, and its image's hosts: files dns.`),
      `write_netns_file ${where} resolv.conf ${resolvConf.map(shellQuote).join(" ")}`,
      `write_netns_file ${where} nsswitch.conf ${shellQuote("hosts: files dns")}`,
    );
  }
  return lines;
}

/** The simulated CoreDNS's zone, as the responder's argument (JSON, quoted for the script). */
export function dnsZoneWord(engine: Engine): string | null {
  const zone = engine.clusterDnsZone();
  return zone === null ? null : shellQuote(JSON.stringify(zone));
}
