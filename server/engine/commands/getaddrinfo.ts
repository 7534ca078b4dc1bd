/**
 * getaddrinfo() as glibc's stub resolver answers it for the tools that take
 * a host name (curl, wget, ping, nc): an IPv4 literal as it is; `localhost`,
 * and in a pod its own name, from /etc/hosts (the kubelet writes the pod's
 * name and address there); any other name, in a pod of a cluster with DNS,
 * through its /etc/resolv.conf (resolv-conf.ts): each candidate of the
 * search path in res_nsearch's order (ndots:5), asked for A and AAAA at once
 * from one socket (5 s, two attempts: glibc's timeout and attempts), the
 * walk going on past NXDOMAIN and NODATA. The queries and answers are UDP
 * frames in the trace before the tool connects. Outside a pod there is no
 * resolver to ask (Docker's default bridge has none): the name is unknown.
 *
 * The outcome carries the EAI_* error the tools print: EAI_NONAME "Name or
 * service not known" (every candidate NXDOMAIN), EAI_NODATA "No address
 * associated with hostname" (a name that exists with no A record), EAI_AGAIN
 * "Temporary failure in name resolution" (no server answered).
 */
import { DnsRcode, DnsType } from "../wire/dns.js";
import type { CommandContext } from "./command-context.js";
import { exchangeDns } from "./dns-query.js";
import { candidateNames, podHere, resolvConf } from "./resolv-conf.js";
import { resolveHost } from "./resolve-host.js";

/** glibc's RES_DFLRETRY. */
const ATTEMPTS = 2;

export type AddrInfoError = "EAI_NONAME" | "EAI_NODATA" | "EAI_AGAIN";
/** `canonical`: ai_canonname, the name that resolved (the search domain's candidate), which ping prints. */
export type AddrInfo = { ok: true; address: number; canonical: string } | { ok: false; error: AddrInfoError };

/** gai_strerror's words. */
export function gaiMessage(error: AddrInfoError): string {
  switch (error) {
    case "EAI_NONAME":
      return "Name or service not known";
    case "EAI_NODATA":
      return "No address associated with hostname";
    case "EAI_AGAIN":
      return "Temporary failure in name resolution";
  }
}

/** Whether the name needs no resolver: a literal, or a line of /etc/hosts. */
export function literalHost(ctx: CommandContext, name: string): number | null {
  const found = resolveHost(name);
  if (found !== null) return found;
  const pod = podHere(ctx);
  return pod !== null && name === pod.name ? pod.ip : null;
}

/** The host's IPv4 address, asking the pod's resolver when it has one; `process` owns the query socket. */
export function getaddrinfo(ctx: CommandContext, name: string, process: string): AddrInfo {
  const known = literalHost(ctx, name);
  if (known !== null) return { ok: true, address: known, canonical: name };
  const conf = resolvConf(ctx);
  // An IPv4-looking name that is no address, or no resolver: nothing to ask.
  if (conf === null || /^[0-9.]+$/.test(name)) return { ok: false, error: "EAI_NONAME" };
  let nodata = false;
  for (const candidate of candidateNames(conf, name)) {
    const r = exchangeDns(ctx, conf.nameserver, candidate, [DnsType.A, DnsType.AAAA], { edns: false, tries: ATTEMPTS }, process);
    if (r.kind === "unreachable") return { ok: false, error: "EAI_AGAIN" };
    const [a] = r.messages;
    if (a!.header.rcode === DnsRcode.NXDomain) continue;
    if (a!.header.rcode !== DnsRcode.NoError) return { ok: false, error: "EAI_AGAIN" };
    const address = a!.answers.find((x) => x.data.kind === "a");
    if (address !== undefined && address.data.kind === "a") return { ok: true, address: address.data.address, canonical: candidate };
    nodata = true;
  }
  return { ok: false, error: nodata ? "EAI_NODATA" : "EAI_NONAME" };
}
