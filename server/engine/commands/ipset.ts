/**
 * ipset (v7.17) over the namespace's hash:ip sets (stack/netfilter/ipsets.ts):
 * list [-n|-t] [SET], save [SET], create SET hash:ip [timeout N], add/del/test
 * SET IP, flush [SET], destroy [SET]. Output as the tool prints it (captured
 * from ipset 7.17 on kernel 6.1: "Size in memory" is 216 bytes plus 64 per
 * entry for a set made with a timeout, as the kernel reported it there).
 * Other set types and options are not simulated.
 */
import { isLimitReached } from "../object-quota.js";
import type { IpSet } from "../stack/netfilter/ipsets.js";
import { formatIpv4, parseIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

const PREFIX = "ipset v7.17: ";
const HELP = "Try `ipset help' for more information.";

function missing(): never {
  fail(`${PREFIX}The set with the given name does not exist`, 1);
}

function header(ctx: CommandContext, set: IpSet): string[] {
  const entries = set.members.size;
  const timeout = set.timeout === null ? "" : ` timeout ${set.timeout}`;
  return [
    `Name: ${set.name}`,
    "Type: hash:ip",
    "Revision: 6",
    `Header: family inet hashsize 1024 maxelem 65536${timeout} bucketsize 12 initval 0x${set.initval.toString(16).padStart(8, "0")}`,
    `Size in memory: ${set.timeout === null ? 200 + 16 * entries : 216 + 64 * entries}`,
    `References: ${ctx.ns.netfilter.setReferences(set.name)}`,
    `Number of entries: ${entries}`,
  ];
}

const member = (set: IpSet, ip: number) => `${formatIpv4(ip)}${set.timeout === null ? "" : ` timeout ${set.timeout}`}`;

function address(text: string | undefined): number {
  if (text === undefined) fail(`${PREFIX}Missing second mandatory argument to command add\n${HELP}`, 1);
  if (text.includes("/") || text.includes("-")) notSimulated(`ipset ranges (${text})`);
  const p = parseIpv4(text);
  if (!p.ok) fail(`${PREFIX}Syntax error: cannot parse ${text}: resolving to IPv4 address failed`, 1);
  return p.value;
}

export const ipsetCommand: CommandHandler = (argv, ctx) => {
  const sets = ctx.ns.netfilter.ipsets;
  const [verb, ...rest] = argv;
  const get = (name: string | undefined) => {
    if (name === undefined) fail(`${PREFIX}Missing mandatory argument to command\n${HELP}`, 1);
    return sets.get(name) ?? missing();
  };
  switch (verb) {
    case "list":
    case "-L":
    case "--list": {
      const names = rest.filter((a) => !a.startsWith("-"));
      const flags = rest.filter((a) => a.startsWith("-"));
      for (const f of flags) if (!["-n", "-name", "-t", "-terse"].includes(f)) notSimulated(`ipset list ${f}`);
      const chosen = names.length === 0 ? sets.list() : [get(names[0])];
      if (flags.some((f) => f === "-n" || f === "-name")) {
        ctx.out.push(...chosen.map((s) => s.name));
        return 0;
      }
      const terse = flags.some((f) => f === "-t" || f === "-terse");
      chosen.forEach((s, i) => {
        if (i > 0) ctx.out.push("");
        ctx.out.push(...header(ctx, s));
        if (!terse) ctx.out.push("Members:", ...[...s.members].map((m) => member(s, m)));
      });
      return 0;
    }
    case "save": {
      const chosen = rest.length === 0 ? sets.list() : [get(rest[0])];
      for (const s of chosen) {
        ctx.out.push(`create ${s.name} hash:ip family inet hashsize 1024 maxelem 65536${s.timeout === null ? "" : ` timeout ${s.timeout}`} bucketsize 12 initval 0x${s.initval.toString(16).padStart(8, "0")}`);
        for (const m of s.members) ctx.out.push(`add ${s.name} ${member(s, m)}`);
      }
      return 0;
    }
    case "create":
    case "-N": {
      const [name, type, ...opts] = rest;
      if (name === undefined || type === undefined) fail(`${PREFIX}Missing mandatory argument to command create\n${HELP}`, 1);
      if (type !== "hash:ip") notSimulated(`ipset create … ${type}`);
      let timeout: number | null = null;
      for (let i = 0; i < opts.length; i++) {
        if (opts[i] === "timeout" && /^\d+$/.test(opts[i + 1] ?? "")) timeout = Number(opts[++i]);
        else notSimulated(`ipset create … ${opts[i]}`);
      }
      if (sets.get(name) !== undefined) fail(`${PREFIX}Set cannot be created: set with the same name already exists`, 1);
      const made = sets.create(name, timeout, ctx.net.random.nextUint32());
      if (isLimitReached(made)) limitReached(made, 1);
      return 0;
    }
    case "add":
    case "-A":
    case "del":
    case "-D":
    case "test":
    case "-T": {
      const set = get(rest[0]);
      const ip = address(rest[1]);
      if (rest.length > 2 && !(rest[2] === "timeout" && /^\d+$/.test(rest[3] ?? "") && rest.length === 4)) notSimulated(`ipset ${verb} … ${rest.slice(2).join(" ")}`);
      if (verb === "add" || verb === "-A") {
        if (set.members.has(ip)) fail(`${PREFIX}Element cannot be added to the set: it's already added`, 1);
        const refused = sets.add(set, ip);
        if (refused !== null) limitReached(refused, 1);
        return 0;
      }
      if (verb === "del" || verb === "-D") {
        if (!sets.remove(set, ip)) fail(`${PREFIX}Element cannot be deleted from the set: it's not added`, 1);
        return 0;
      }
      const found = set.members.has(ip);
      ctx.out.push(`${formatIpv4(ip)} is ${found ? "" : "NOT "}in set ${set.name}.`);
      return found ? 0 : 1;
    }
    case "flush":
    case "-F":
      for (const s of rest.length === 0 ? sets.list() : [get(rest[0])]) sets.flush(s);
      return 0;
    case "destroy":
    case "-X": {
      const chosen = rest.length === 0 ? sets.list() : [get(rest[0])];
      for (const s of chosen) if (ctx.ns.netfilter.setReferences(s.name) > 0) fail(`${PREFIX}Set cannot be destroyed: it is in use by a kernel component`, 1);
      for (const s of chosen) sets.destroy(s.name);
      return 0;
    }
    case undefined:
      fail(`${PREFIX}No command specified.\n${HELP}`, 1);
    default:
      if (["swap", "rename", "-W", "-E", "restore", "-R", "help", "version", "-v"].includes(verb)) notSimulated(`ipset ${verb}`);
      fail(`${PREFIX}No command specified: unknown argument ${verb}\n${HELP}`, 1);
  }
};
