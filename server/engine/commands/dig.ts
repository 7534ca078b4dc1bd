/**
 * dig +short NAME [A] [@SERVER] [+search] as bind 9.18's dig answers in a
 * pod: one question with EDNS (UDP size 1232 and a client cookie), the name
 * as typed unless +search is given (dig does not read the search path by
 * default, unlike nslookup), the answers' addresses one per line and nothing
 * at all for NXDOMAIN (exit 0). Three unanswered tries: exit 9. Only +short
 * output is simulated.
 */
import { DnsRcode, DnsType } from "../wire/dns.js";
import { formatIpv4, parseIpv4 } from "../wire/ipv4-address.js";
import { type CommandHandler } from "./command-context.js";
import { queryDns } from "./dns-query.js";
import { notSimulated } from "./not-simulated.js";
import { candidateNames, resolvConf } from "./resolv-conf.js";

export const digCommand: CommandHandler = (argv, ctx) => {
  let short = false;
  let search = false;
  let server: number | null = null;
  const names: string[] = [];
  for (const a of argv) {
    if (a === "+short") short = true;
    else if (a === "+search") search = true;
    else if (a === "+nosearch") search = false;
    else if (a.startsWith("@")) {
      const parsed = parseIpv4(a.slice(1));
      if (!parsed.ok) notSimulated(`dig with a server named ${a.slice(1)}`);
      server = parsed.value;
    } else if (a === "A" || a === "a" || a === "IN" || a === "in") continue;
    else if (a.startsWith("+") || a.startsWith("-")) notSimulated(`dig ${a}`);
    else if (["AAAA", "aaaa", "SRV", "srv", "PTR", "ptr", "TXT", "txt", "MX", "mx", "NS", "ns", "SOA", "soa", "CNAME", "cname", "ANY", "any"].includes(a)) notSimulated(`dig ${a}`);
    else names.push(a);
  }
  if (!short) notSimulated("dig without +short");
  if (names.length !== 1) notSimulated(names.length === 0 ? "dig without a name (the root's NS records)" : "dig with several names");
  const conf = resolvConf(ctx);
  if (conf === null) notSimulated("dig outside a pod of a cluster with DNS");
  const name = names[0]!;
  const candidates = search ? candidateNames(conf, name) : [name.replace(/\.$/, "")];
  for (const candidate of candidates) {
    const r = queryDns(ctx, server ?? conf.nameserver, candidate, DnsType.A, true, "dig");
    if (r.kind === "unreachable") {
      ctx.out.push(...r.errors, ";; no servers could be reached");
      return 9;
    }
    // With +search dig moves on past NXDOMAIN only; any other answer is the one it prints.
    if (r.message.header.rcode === DnsRcode.NXDomain && candidate !== candidates.at(-1)) continue;
    for (const rec of r.message.answers) if (rec.data.kind === "a") ctx.out.push(formatIpv4(rec.data.address));
    return 0;
  }
  return 0;
};
