/**
 * ipset (v7.17) over the namespace's hash:ip and hash:net sets
 * (stack/netfilter/ipsets.ts): list [-n|-t] [SET], save [SET], create SET
 * hash:ip|hash:net [timeout N], add/del/test SET IP|NET [timeout N]
 * [nomatch], flush [SET], destroy [SET]. Output as the tool prints it
 * (captured from ipset 7.17 on kernel 6.1: "Size in memory" is 216 bytes
 * plus 64 per entry for a hash:ip set made with a timeout, 456 plus 64 (48
 * without a timeout) for hash:net, as the kernel reported it there; a
 * hash:net test that finds the address starts with "Warning:", as there).
 * Other set types and options are not simulated.
 */
import { isLimitReached } from "../object-quota.js";
import { netLookup, setSize, type IpSet, type NetEntry } from "../stack/netfilter/ipsets.js";
import { formatIpv4, parseIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

const PREFIX = "ipset v7.17: ";
const HELP = "Try `ipset help' for more information.";

function missing(): never {
  fail(`${PREFIX}The set with the given name does not exist`, 1);
}

function memory(set: IpSet): number {
  const n = setSize(set);
  if (set.type === "hash:ip") return set.timeout === null ? 200 + 16 * n : 216 + 64 * n;
  return 456 + (set.timeout === null ? 48 : 64) * n;
}

function header(ctx: CommandContext, set: IpSet): string[] {
  const entries = setSize(set);
  const timeout = set.timeout === null ? "" : ` timeout ${set.timeout}`;
  return [
    `Name: ${set.name}`,
    `Type: ${set.type}`,
    `Revision: ${set.type === "hash:ip" ? 6 : 7}`,
    `Header: family inet hashsize 1024 maxelem 65536${timeout} bucketsize 12 initval 0x${set.initval.toString(16).padStart(8, "0")}`,
    `Size in memory: ${memory(set)}`,
    `References: ${ctx.ns.netfilter.setReferences(set.name)}`,
    `Number of entries: ${entries}`,
  ];
}

const timeoutText = (set: IpSet) => (set.timeout === null ? "" : ` timeout ${set.timeout}`);
/** A hash:net entry as listed: a /32 without its prefix, then the timeout, then nomatch. */
const netText = (set: IpSet, n: NetEntry) => `${formatIpv4(n.address)}${n.prefix === 32 ? "" : `/${n.prefix}`}${timeoutText(set)}${n.nomatch ? " nomatch" : ""}`;
const memberLines = (set: IpSet) => (set.type === "hash:ip" ? [...set.members].map((ip) => `${formatIpv4(ip)}${timeoutText(set)}`) : set.nets.map((n) => netText(set, n)));

/** An element: an address, or for hash:net ADDRESS/PREFIX. */
function element(set: IpSet, text: string | undefined): { address: number; prefix: number } {
  if (text === undefined) fail(`${PREFIX}Missing second mandatory argument to command add\n${HELP}`, 1);
  if (text.includes("-")) notSimulated(`ipset ranges (${text})`);
  const [ip, prefixText] = text.split("/");
  if (prefixText !== undefined && set.type === "hash:ip") notSimulated(`ipset ranges (${text})`);
  const p = parseIpv4(ip!);
  if (!p.ok) fail(`${PREFIX}Syntax error: cannot parse ${text}: resolving to IPv4 address failed`, 1);
  if (prefixText === undefined) return { address: p.value, prefix: 32 };
  if (!/^\d+$/.test(prefixText) || Number(prefixText) > 32) fail(`${PREFIX}Syntax error: '${prefixText}' is out of range 0-32`, 1);
  if (Number(prefixText) === 0) fail(`${PREFIX}The value of the CIDR parameter of the IP address is invalid`, 1);
  const prefix = Number(prefixText);
  return { address: (p.value & ((0xffffffff << (32 - prefix)) >>> 0)) >>> 0, prefix };
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
        if (!terse) ctx.out.push("Members:", ...memberLines(s));
      });
      return 0;
    }
    case "save": {
      const chosen = rest.length === 0 ? sets.list() : [get(rest[0])];
      for (const s of chosen) {
        ctx.out.push(`create ${s.name} ${s.type} family inet hashsize 1024 maxelem 65536${timeoutText(s)} bucketsize 12 initval 0x${s.initval.toString(16).padStart(8, "0")}`);
        for (const m of memberLines(s)) ctx.out.push(`add ${s.name} ${m}`);
      }
      return 0;
    }
    case "create":
    case "-N": {
      const [name, type, ...opts] = rest;
      if (name === undefined || type === undefined) fail(`${PREFIX}Missing mandatory argument to command create\n${HELP}`, 1);
      if (type !== "hash:ip" && type !== "hash:net") notSimulated(`ipset create … ${type}`);
      let timeout: number | null = null;
      for (let i = 0; i < opts.length; i++) {
        if (opts[i] === "timeout" && /^\d+$/.test(opts[i + 1] ?? "")) timeout = Number(opts[++i]);
        else notSimulated(`ipset create … ${opts[i]}`);
      }
      if (sets.get(name) !== undefined) fail(`${PREFIX}Set cannot be created: set with the same name already exists`, 1);
      const made = sets.create(name, timeout, ctx.net.random.nextUint32(), type);
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
      const { address: ip, prefix } = element(set, rest[1]);
      const opts = rest.slice(2);
      let nomatch = false;
      for (let i = 0; i < opts.length; i++) {
        if (opts[i] === "timeout" && /^\d+$/.test(opts[i + 1] ?? "")) i++;
        else if (opts[i] === "nomatch" && set.type === "hash:net") nomatch = true;
        else notSimulated(`ipset ${verb} … ${opts.join(" ")}`);
      }
      const has = set.type === "hash:ip" ? set.members.has(ip) : set.nets.some((n) => n.prefix === prefix && n.address === ip);
      if (verb === "add" || verb === "-A") {
        if (has) fail(`${PREFIX}Element cannot be added to the set: it's already added`, 1);
        const refused = sets.add(set, ip, prefix, nomatch);
        if (refused !== null) limitReached(refused, 1);
        return 0;
      }
      if (verb === "del" || verb === "-D") {
        if (!sets.remove(set, ip, prefix)) fail(`${PREFIX}Element cannot be deleted from the set: it's not added`, 1);
        return 0;
      }
      const text = `${formatIpv4(ip)}${prefix === 32 && !(rest[1] ?? "").includes("/") ? "" : `/${prefix}`}`;
      // A network is in a hash:net set when it is one of its entries; an address when the longest entry covering it is no nomatch.
      const found = set.type === "hash:ip" ? has : prefix === 32 ? netLookup(set.nets, ip) : has && !set.nets.find((n) => n.prefix === prefix && n.address === ip)?.nomatch;
      ctx.out.push(`${found && set.type === "hash:net" ? "Warning: " : ""}${text} is ${found ? "" : "NOT "}in set ${set.name}.`);
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
