/**
 * conntrack -L [-p proto]: the namespace's tracked flows, as conntrack-tools
 * prints them, with the count line conntrack writes to stderr last (as a
 * terminal shows it).
 */
import { conntrackLine } from "../stack/netfilter/conntrack-text.js";
import { fail, type CommandHandler } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";

const VERSION = "conntrack v1.4.7 (conntrack-tools)";
const HELP_HINT = "Try `conntrack -h' or 'conntrack --help' for more information.";

/** conntrack-tools 1.4.7's other commands and options: real, not simulated. */
const REAL_OPTIONS = (
  "-G --get -D --delete -I --create -U --update -E --event -F --flush -C --count -S --stats -R --load-file -h --help " +
  "-n --src-nat -g --dst-nat -j --any-nat -m --mark -c --secmark -e --event-mask -z --zero -o --output -l --label " +
  "--tuple-src --tuple-dst --label-add --label-del -s --src --orig-src -d --dst --orig-dst -r --reply-src -q --reply-dst " +
  "-f --family -t --timeout -u --status -w --zone --orig-zone --reply-zone -b --buffer-size --mask-src --mask-dst " +
  "--sport --orig-port-src --dport --orig-port-dst --reply-port-src --reply-port-dst --state"
).split(" ");

export const conntrackCommand: CommandHandler = (argv, ctx) => {
  let list = false;
  let proto: number | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-L" || a === "--dump") {
      list = true;
      // -L takes an optional table: the conntrack table is the one simulated.
      const table = argv[i + 1];
      if (table !== undefined && !table.startsWith("-")) {
        i++;
        if (table === "expect" || table === "dying" || table === "unconfirmed") notSimulated(`conntrack -L ${table}`);
        if (table !== "conntrack") fail(`${VERSION}: unknown type \`${table}'\n${HELP_HINT}`, 2);
      }
    } else if (a === "-p" || a === "--proto" || a === "--protonum") {
      const p = argv[++i];
      proto = p === "tcp" ? 6 : p === "udp" ? 17 : p === "icmp" ? 1 : -1;
      if (p === "udplite" || p === "sctp" || p === "dccp" || p === "gre" || p === "icmpv6") notSimulated(`conntrack -p ${p}`);
      if (proto === -1) fail(`${VERSION}: \`${p ?? ""}' unsupported protocol`, 1);
    } else if (a === "-V" || a === "--version") {
      ctx.out.push(VERSION);
      return 0;
    } else if (REAL_OPTIONS.includes(a)) notSimulated(`conntrack ${a}`);
    else if (a.startsWith("-")) fail(`${VERSION}: unknown option \`${a}'\n${HELP_HINT}`, 2);
    else fail(`${VERSION}: Invalid argument: ${a}\n${HELP_HINT}`, 2);
  }
  if (!list) fail(`${VERSION}: no command specified\n${HELP_HINT}`, 2);
  const now = ctx.net.scheduler.now;
  const entries = ctx.ns.conntrack.list(now).filter((e) => proto === null || e.protocol === proto);
  for (const e of entries) ctx.out.push(conntrackLine(e, now));
  ctx.out.push(`${VERSION}: ${entries.length} flow entries have been shown.`);
  return 0;
};
