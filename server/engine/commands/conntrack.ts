/**
 * conntrack -L [-p proto]: the namespace's tracked flows, as conntrack-tools
 * prints them, with the count line conntrack writes to stderr last (as a
 * terminal shows it).
 */
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { ConntrackEntry, Tuple } from "../stack/netfilter/conntrack.js";
import { protocolName } from "../stack/netfilter/rule-text.js";
import { fail, type CommandHandler } from "./command-context.js";

const VERSION = "conntrack v1.4.7 (conntrack-tools)";

function tuple(e: ConntrackEntry, t: Tuple, reply: boolean): string {
  const base = `src=${formatIpv4(t.src)} dst=${formatIpv4(t.dst)}`;
  if (e.protocol === 1) return `${base} type=${reply ? 0 : 8} code=0 id=${t.sport}`;
  return `${base} sport=${t.sport} dport=${t.dport}`;
}

export const conntrackCommand: CommandHandler = (argv, ctx) => {
  let list = false;
  let proto: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-L" || a === "--dump") list = true;
    else if (a === "-p" || a === "--proto") {
      const p = argv[++i];
      proto = p === "tcp" ? 6 : p === "udp" ? 17 : p === "icmp" ? 1 : -1;
      if (proto === -1) fail(`${VERSION}: \`${p ?? ""}' unsupported protocol`, 1);
    } else fail(`${VERSION}: Invalid argument: ${a}\nTry \`conntrack -h' or 'conntrack --help' for more information.`, 2);
  }
  if (!list) fail(`${VERSION}: no command specified\nTry \`conntrack -h' or 'conntrack --help' for more information.`, 2);
  const now = ctx.net.scheduler.now;
  const entries = ctx.ns.conntrack.list(now).filter((e) => proto === null || e.protocol === proto);
  for (const e of entries) {
    const secs = Math.max(0, Math.floor((e.expires - now) / 1_000_000));
    const name = protocolName(e.protocol).padEnd(8);
    const state = e.tcpState !== null ? ` ${e.tcpState}` : "";
    const unreplied = e.seenReply ? "" : " [UNREPLIED]";
    ctx.out.push(
      `${name} ${e.protocol} ${secs}${state} ${tuple(e, e.orig, false)}${unreplied} ${tuple(e, e.reply, true)}${e.assured ? " [ASSURED]" : ""} mark=0 use=1`,
    );
  }
  ctx.out.push(`${VERSION}: ${entries.length} flow entries have been shown.`);
  return 0;
};
