/**
 * The names CoreDNS's kubernetes plugin (dns-server.ts) serves, as data: for
 * a DNS server outside the simulator that must answer as it does (the lab
 * script's responder, which stands in for CoreDNS on a real machine). Every
 * name the plugin answers from the cluster's objects is listed with its
 * addresses, or as existing without records (the zone's apex, svc. and each
 * namespace's <ns>.svc., which give NODATA); any other name of the zone is
 * NXDOMAIN, and a name outside it goes to the upstream resolver, which knows
 * none. The classification is lookupName's own, taken at one moment: a
 * Service or pod changed later is not in it.
 */
import { DnsRcode } from "../wire/dns.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { Cluster } from "./cluster.js";
import { clusterSoa, lookupName, servedDomain, UPSTREAM_SOA, ZONE_TTL, type SoaTemplate } from "./dns-server.js";

export interface ClusterDnsZone {
  /** The cluster domain, without a trailing dot. */
  domain: string;
  /** The TTL of the A records. */
  ttl: number;
  /** Names with A records (lower case, no trailing dot) and their addresses, in the order answered. */
  records: { name: string; addresses: string[] }[];
  /** Names that exist without records: asked for, they get NODATA. */
  empty: string[];
  /** The zone's SOA for negative answers; its serial is the server's clock in seconds. */
  soa: SoaTemplate;
  /** The upstream's SOA for a name outside the zone, with its serial. */
  upstreamSoa: SoaTemplate & { serial: number };
}

export function clusterDnsZone(cluster: Cluster): ClusterDnsZone {
  const domain = servedDomain(cluster);
  const namespaces = [...new Set([...cluster.namespaceLabels.keys(), ...[...cluster.pods.values(), ...cluster.services.values()].map((o) => o.namespace)])].sort();
  const names = [domain, `svc.${domain}`, ...namespaces.map((ns) => `${ns}.svc.${domain}`), ...cluster.sortedServices().map((s) => `${s.name}.${s.namespace}.svc.${domain}`)];
  const records: ClusterDnsZone["records"] = [];
  const empty: string[] = [];
  for (const name of names) {
    const found = lookupName(cluster, domain, name);
    if (found.rcode !== DnsRcode.NoError) continue;
    if (found.addresses.length === 0) empty.push(name.toLowerCase());
    else records.push({ name: name.toLowerCase(), addresses: found.addresses.map(formatIpv4) });
  }
  return { domain, ttl: ZONE_TTL, records, empty, soa: clusterSoa(domain), upstreamSoa: UPSTREAM_SOA };
}
