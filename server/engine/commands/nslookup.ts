/**
 * nslookup NAME [SERVER] as bind 9.18's nslookup answers in a pod: the
 * search path walked in order until a name exists (NXDOMAIN moves on), its
 * A records printed, then the AAAA question asked for the same name, as the
 * tool does; "** server can't find NAME: NXDOMAIN" once every candidate
 * failed; three unanswered tries end it with "no servers could be reached".
 * Outside a pod (no resolv.conf of the cluster's) it is not simulated.
 */
import { DnsRcode, DnsType } from "../wire/dns.js";
import { formatIpv4, parseIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandHandler } from "./command-context.js";
import { queryDns } from "./dns-query.js";
import { notSimulated } from "./not-simulated.js";
import { candidateNames, resolvConf } from "./resolv-conf.js";

export const nslookupCommand: CommandHandler = (argv, ctx) => {
  const options = argv.filter((a) => a.startsWith("-"));
  if (options.length > 0) notSimulated(`nslookup ${options[0]}`);
  const [name, serverArg, extra] = argv;
  if (name === undefined) notSimulated("nslookup's interactive mode");
  if (extra !== undefined) fail(`nslookup: too many arguments`, 1);
  const conf = resolvConf(ctx);
  if (conf === null) notSimulated("nslookup outside a pod of a cluster with DNS");
  let server = conf.nameserver;
  if (serverArg !== undefined) {
    const parsed = parseIpv4(serverArg);
    if (!parsed.ok) notSimulated(`nslookup with a server named ${serverArg}`);
    server = parsed.value;
  }
  const header = [`Server:\t\t${formatIpv4(server)}`, `Address:\t${formatIpv4(server)}#53`, ""];
  for (const candidate of candidateNames(conf, name)) {
    const a = queryDns(ctx, server, candidate, DnsType.A, false, "nslookup");
    if (a.kind === "unreachable") {
      ctx.out.push(...a.errors, ";; no servers could be reached", "");
      return 1;
    }
    const m = a.message;
    if (m.header.rcode === DnsRcode.NXDomain) continue;
    if (m.header.rcode !== DnsRcode.NoError) {
      ctx.out.push(...header, `** server can't find ${name}: ${m.header.rcode === DnsRcode.ServFail ? "SERVFAIL" : m.header.rcode === DnsRcode.Refused ? "REFUSED" : `RCODE${m.header.rcode}`}`, "");
      return 1;
    }
    const addresses = m.answers.flatMap((r) => (r.data.kind === "a" ? [r.data.address] : []));
    ctx.out.push(...header);
    for (const address of addresses) ctx.out.push(`Name:\t${candidate}`, `Address: ${formatIpv4(address)}`);
    // Then the IPv6 question for the same name; the cluster has no AAAA records, so it prints nothing more.
    const aaaa = queryDns(ctx, server, candidate, DnsType.AAAA, false, "nslookup");
    if (aaaa.kind === "unreachable") ctx.out.push(...aaaa.errors);
    if (addresses.length === 0) ctx.out.push(`*** Can't find ${name}: No answer`);
    ctx.out.push("");
    return addresses.length === 0 ? 1 : 0;
  }
  ctx.out.push(...header, `** server can't find ${name}: NXDOMAIN`, "");
  return 1;
};
