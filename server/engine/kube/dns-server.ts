/**
 * CoreDNS in a pod, as kubeadm configures it (the kubernetes plugin for the
 * cluster domain, `ttl 30`, then `forward . /etc/resolv.conf`): a UDP socket
 * on port 53 of the pod's namespace answering from the cluster's objects at
 * the moment the query arrives.
 *   <svc>.<ns>.svc.<domain> A: the Service's cluster IP; for a headless
 *     Service the addresses of its ready pods, one record each.
 *   A name in the domain that is none of these: NXDOMAIN; a name that exists
 *     asked for another type (AAAA): no answer (NODATA). Both carry the
 *     zone's SOA in the authority section, which is how a resolver tells them apart.
 *   A name outside the domain goes to the upstream resolver, modelled as one
 *     that knows no name (NXDOMAIN with the root zone's SOA, recursion available).
 * Answers are authoritative and without recursion available (dig warns
 * "recursion requested but not available"), as CoreDNS's kubernetes plugin
 * answers. A query with an EDNS OPT record gets one back. Malformed queries
 * are dropped, as CoreDNS drops what it cannot parse.
 */
import type { NetNamespace } from "../stack/namespace.js";
import { udpSend } from "../stack/udp.js";
import { DNS_CLASS_IN, DnsRcode, DnsType, decodeDns, encodeDns, type DnsMessage, type DnsRecord } from "../wire/dns.js";
import type { Cluster, Pod } from "./cluster.js";

/** The kubernetes plugin's `ttl 30`: its records' TTL, and its SOA's TTL and minimum. */
export const ZONE_TTL = 30;
const SECOND = 1_000_000;

/** An SOA record without its serial, which the server fills in (CoreDNS: the time in seconds). */
export interface SoaTemplate {
  /** The record's owner: the zone's apex ("" for the root). */
  name: string;
  ttl: number;
  mname: string;
  rname: string;
  refresh: number;
  retry: number;
  expire: number;
  minimum: number;
}

/** The SOA the kubernetes plugin puts in the authority section of a negative answer for its zone. */
export function clusterSoa(domain: string): SoaTemplate {
  return { name: domain, ttl: ZONE_TTL, mname: `ns.dns.${domain}`, rname: `hostmaster.${domain}`, refresh: 7200, retry: 1800, expire: 86400, minimum: ZONE_TTL };
}

/** The root zone's SOA as the modelled upstream resolver sends it with its NXDOMAIN, serial and all. */
export const UPSTREAM_SOA: SoaTemplate & { serial: number } = { name: "", ttl: 86400, mname: "a.root-servers.net", rname: "nstld.verisign-grs.com", serial: 2024120400, refresh: 1800, retry: 900, expire: 604800, minimum: 86400 };

function soaRecord(t: SoaTemplate, serial: number): DnsRecord {
  return { name: t.name, type: DnsType.SOA, class: DNS_CLASS_IN, ttl: t.ttl, data: { kind: "soa", soa: { mname: t.mname, rname: t.rname, serial, refresh: t.refresh, retry: t.retry, expire: t.expire, minimum: t.minimum } } };
}

export function dnsProcess(pod: Pod): string {
  return `coredns/${pod.name}`;
}

type Lookup = { rcode: number; addresses: number[]; zone: "cluster" | "upstream" };

/** The kubernetes plugin's answer for a name (without its trailing dot), lower-cased as CoreDNS compares. */
export function lookupName(cluster: Cluster, domain: string, name: string): Lookup {
  const n = name.toLowerCase();
  if (n !== domain && !n.endsWith(`.${domain}`)) return { rcode: DnsRcode.NXDomain, addresses: [], zone: "upstream" };
  const labels = n === domain ? [] : n.slice(0, -domain.length - 1).split(".");
  // <svc>.<ns>.svc: the only names of the zone this model serves (pods' and SRV names are not).
  if (labels.length === 3 && labels[2] === "svc") {
    const svc = cluster.services.get(`${labels[1]}/${labels[0]}`);
    if (svc !== undefined) {
      if (svc.clusterIP !== null) return { rcode: DnsRcode.NoError, addresses: [svc.clusterIP], zone: "cluster" };
      const ready = cluster.selected(svc).filter((p) => p.ready).map((p) => p.ip);
      // A headless Service without ready pods has no records: the name does not exist.
      if (ready.length > 0) return { rcode: DnsRcode.NoError, addresses: ready, zone: "cluster" };
    }
  }
  // The zone's apex, svc. and an existing namespace's <ns>.svc. are empty non-terminals: NODATA rather than NXDOMAIN.
  const namespaceExists = (ns: string) => cluster.namespaceLabels.has(ns) || [...cluster.pods.values(), ...cluster.services.values()].some((o) => o.namespace === ns);
  if (labels.length === 0 || (labels.length === 1 && labels[0] === "svc") || (labels.length === 2 && labels[1] === "svc" && namespaceExists(labels[0]!))) return { rcode: DnsRcode.NoError, addresses: [], zone: "cluster" };
  return { rcode: DnsRcode.NXDomain, addresses: [], zone: "cluster" };
}

/** The response to one query. */
export function answer(cluster: Cluster, domain: string, query: DnsMessage, now: number): DnsMessage {
  const q = query.questions[0]!;
  const found = lookupName(cluster, domain, q.name);
  const upstream = found.zone === "upstream";
  const answers: DnsRecord[] = q.type === DnsType.A ? found.addresses.map((address) => ({ name: q.name, type: DnsType.A, class: DNS_CLASS_IN, ttl: ZONE_TTL, data: { kind: "a", address } })) : [];
  const soa = upstream ? soaRecord(UPSTREAM_SOA, UPSTREAM_SOA.serial) : soaRecord(clusterSoa(domain), Math.floor(now / SECOND));
  const opt = query.additional.find((r) => r.type === DnsType.OPT);
  return {
    header: {
      id: query.header.id,
      response: true,
      opcode: 0,
      authoritative: !upstream,
      truncated: false,
      recursionDesired: query.header.recursionDesired,
      recursionAvailable: upstream,
      authenticData: false,
      checkingDisabled: false,
      rcode: found.rcode,
    },
    questions: [q],
    answers,
    authority: answers.length === 0 ? [soa] : [],
    additional: opt === undefined ? [] : [{ name: "", type: DnsType.OPT, class: 1232, ttl: 0, data: { kind: "raw", bytes: new Uint8Array(0) } }],
  };
}

/** The zone the kubernetes plugin serves: the kubelet's clusterDomain, cluster.local when the lab names none. */
export function servedDomain(cluster: Cluster): string {
  return cluster.dns?.domain ?? "cluster.local";
}

/** Starts CoreDNS's listener in the pod's namespace. */
export function startDnsServer(ns: NetNamespace, pod: Pod, port: number, cluster: Cluster): void {
  const process = dnsProcess(pod);
  ns.sockets.bindUdp({
    address: 0,
    port,
    process,
    onDatagram: (from, fromPort, data) => {
      const query = decodeDns(data);
      if (!query.ok || query.value.header.response || query.value.questions.length !== 1) return;
      // CoreDNS reads its socket once the kernel is done with what arrived at the same time: glibc's A and
      // AAAA queries, sent together, are both in the pod before the first answer leaves (as captured on Linux).
      ns.ctx.scheduler.after(0, () => udpSend(ns, from, fromPort, port, encodeDns(answer(cluster, servedDomain(cluster), query.value, ns.ctx.scheduler.now))));
    },
  });
}
