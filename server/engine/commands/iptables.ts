/**
 * iptables (the nf_tables flavour of iptables 1.8): list (-L with -n, -v, -x,
 * --line-numbers), print specs (-S), append/insert/delete rules (-A, -I, -D by
 * spec or number), chains (-N, -X, -F, -P, -Z) in the nat and filter tables,
 * with the matches and targets the labs use: tcp/udp ports, conntrack state,
 * addrtype, comment, mark, statistic (random), recent, and the MARK, REJECT,
 * DNAT, SNAT and MASQUERADE targets. Messages and exit codes as iptables
 * prints them; a rejected command changes nothing.
 */
import { isLimitReached } from "../object-quota.js";
import { parseIpv4, parseIpv4Cidr, type Ipv4Address } from "../wire/ipv4-address.js";
import { emptyRule, sameRule, statisticThreshold, type CtState, type RecentCommand, type Rule, type RuleMatch, type RuleTarget } from "../stack/netfilter/rule.js";
import { listColumns, ruleSpec } from "../stack/netfilter/rule-text.js";
import { BUILTIN_CHAINS, orderedChains, type Chain, type TableName } from "../stack/netfilter/tables.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

const VERSION = "iptables v1.8.9 (nf_tables)";
const HELP_HINT = "Try `iptables -h' or 'iptables --help' for more information.";
const PROTOCOLS: Record<string, number> = { all: 0, "0": 0, icmp: 1, "1": 1, tcp: 6, "6": 6, udp: 17, "17": 17 };

/*
 * What iptables 1.8.9 has beyond what cnlab simulates: refused as not simulated, so that
 * only names iptables itself lacks get its "does not exist" or "unknown option".
 */
const REAL_TABLES = ["mangle", "raw", "security"];
const REAL_MATCHES = (
  "ah bpf cgroup cluster comment connbytes connlabel connlimit connmark cpu dccp devgroup dscp dst ecn esp frag hashlimit " +
  "hbh helper hl icmp iprange ipvs length limit mac mark mh multiport nfacct osf owner physdev pkttype policy quota rateest " +
  "realm recent rpfilter rt sctp set socket statistic string tcpmss time tos ttl u32"
).split(" ");
const REAL_TARGETS = (
  "AUDIT CHECKSUM CLASSIFY CLUSTERIP CONNMARK CONNSECMARK CT DSCP ECN HL HMARK IDLETIMER LED LOG MARK NETMAP NFLOG NFQUEUE " +
  "NOTRACK QUEUE RATEEST REDIRECT REJECT SECMARK SET SYNPROXY TCPMSS TCPOPTSTRIP TEE TOS TPROXY TRACE TTL"
).split(" ");
/** Protocols /etc/protocols names besides those simulated; any number 0-255 is one too. */
const REAL_PROTOCOLS = "ip hopopt igmp ggp ipencap st egp igp pup hmp xns-idp rdp iso-tp4 dccp xtp ddp idpr-cmtp ipv6 ipv6-route ipv6-frag idrp rsvp gre esp ah skip ipv6-icmp icmpv6 ipv6-nonxt ipv6-opts rspf vmtp eigrp ospf ax.25 ipip etherip encap pim ipcomp vrrp l2tp isis sctp fc mobility-header udplite mpls-in-ip manet hip shim6 wesp rohc ethernet mptcp".split(" ");
/** The matches cnlab simulates (-m NAME). */
const MATCHES = ["tcp", "udp", "icmp", "conntrack", "state", "addrtype", "comment", "mark", "statistic", "recent", "set", "physdev"];
/** --icmp-type names iptables reads (libxt_icmp), for the types a policy controller accepts. */
const ICMP_TYPES: Record<string, number> = { "echo-reply": 0, pong: 0, "destination-unreachable": 3, "echo-request": 8, ping: 8, "time-exceeded": 11, "ttl-exceeded": 11 };
const ADDRESS_TYPES = "UNSPEC UNICAST BROADCAST ANYCAST MULTICAST BLACKHOLE UNREACHABLE PROHIBIT THROW NAT XRESOLVE".split(" ");
/** iptables' own options (commands and rule parts) that cnlab does not simulate. */
const REAL_OPTIONS = "--rdest --rttl --hitcount --every --packet -C --check -R --replace -E --rename-chain -w --wait -W --wait-interval -g --goto -f --fragment -c --set-counters -4 --ipv4 -6 --ipv6 -h --help -V --version --modprobe".split(" ");

type Action =
  | { kind: "list"; chain: string | null }
  | { kind: "spec"; chain: string | null }
  | { kind: "append"; chain: string; rule: Rule }
  | { kind: "insert"; chain: string; index: number; rule: Rule }
  | { kind: "delete"; chain: string; rule: Rule | null; index: number | null }
  | { kind: "new-chain"; chain: string }
  | { kind: "delete-chain"; chain: string | null }
  | { kind: "flush"; chain: string | null }
  | { kind: "policy"; chain: string; policy: "ACCEPT" | "DROP" }
  | { kind: "zero"; chain: string | null };

interface Parsed {
  table: TableName;
  action: Action;
  numeric: boolean;
  verbose: boolean;
  exact: boolean;
  lineNumbers: boolean;
}

function usageError(message: string): never {
  fail(`${VERSION}: ${message}\n${HELP_HINT}`, 2);
}

function parseAddress(text: string): { address: number; prefixLength: number } {
  const c = text.includes("/") ? parseIpv4Cidr(text) : parseIpv4(text);
  if (!c.ok) fail(`${VERSION}: host/network \`${text}' not found\n${HELP_HINT}`, 2);
  return typeof c.value === "number" ? { address: c.value as number, prefixLength: 32 } : { address: c.value.address, prefixLength: c.value.prefixLength };
}

function parseNatTo(text: string): { address: number; port: number | null } {
  const [a, p] = text.split(":");
  const ip = parseIpv4(a ?? "");
  if (!ip.ok) usageError(`Bad IP address "${a}"`);
  const port = p === undefined ? null : Number(p);
  if (port !== null && !(Number.isInteger(port) && port >= 1 && port <= 65535)) usageError(`Port "${p}" not valid`);
  return { address: ip.value as Ipv4Address, port };
}

/** A mark value or value/mask, decimal or 0x hex, as xtables_strtoui reads them. */
function parseMark(option: string, text: string, module: string): { value: number; mask: number | null } {
  const [v, m] = text.split("/");
  const num = (x: string | undefined) => (x !== undefined && /^(0x[0-9a-f]+|[0-9]+)$/i.test(x) && Number(x) <= 0xffffffff ? Number(x) : null);
  const value = num(v);
  const mask = m === undefined ? null : num(m);
  if (value === null || (m !== undefined && mask === null)) usageError(`${module}: bad value for option "${option}", or out of range (0-4294967295).\n`);
  return { value: value >>> 0, mask: mask === null ? null : mask >>> 0 };
}

function parse(argv: string[]): Parsed {
  let table: TableName = "filter";
  let action: Action | null = null;
  let numeric = false;
  let verbose = false;
  let exact = false;
  let lineNumbers = false;
  const rule = emptyRule({ kind: "ACCEPT" });
  let target: string | null = null;
  let toDestination: string | null = null;
  let toSource: string | null = null;
  let invert = false;
  let deleteIndex: number | null = null;
  const loaded = new Set<string>();
  let markTarget: { value: number; mask: number } | null = null;
  let randomFully = false;
  let physdevGiven = false;
  /** The extension match an option belongs to: the last one of that kind written. */
  const current = <K extends RuleMatch["kind"]>(kind: K, option: string): Extract<RuleMatch, { kind: K }> => {
    const m = [...rule.matches].reverse().find((x) => x.kind === kind);
    if (m === undefined) fail(`${VERSION}: unknown option "${option}"\n${HELP_HINT}`, 2);
    return m as Extract<RuleMatch, { kind: K }>;
  };
  const placeL4 = () => {
    if (!rule.matches.some((m) => m.kind === "l4")) rule.matches.push({ kind: "l4" });
  };
  const setAction = (a: Action) => {
    if (action !== null) usageError("Cannot use two commands at once");
    action = a;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = () => argv[++i] ?? usageError(`option "${a}" requires an argument`);
    const optionalChain = () => (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith("-") ? argv[++i]! : null);
    const take = <T>(v: T) => {
      const inv = invert;
      invert = false;
      return { v, inv };
    };
    switch (a) {
      case "!":
        invert = true;
        continue;
      case "-t":
      case "--table": {
        const t = next();
        if (REAL_TABLES.includes(t)) notSimulated(`iptables -t ${t}`);
        if (t !== "nat" && t !== "filter") fail(`${VERSION}: table '${t}' does not exist\nPerhaps iptables or your kernel needs to be upgraded.`, 3);
        table = t;
        continue;
      }
      case "-L":
      case "--list":
        setAction({ kind: "list", chain: optionalChain() });
        continue;
      case "-S":
      case "--list-rules":
        setAction({ kind: "spec", chain: optionalChain() });
        continue;
      case "-A":
      case "--append":
        setAction({ kind: "append", chain: next(), rule });
        continue;
      case "-I":
      case "--insert": {
        const chain = next();
        const n = argv[i + 1] !== undefined && /^\d+$/.test(argv[i + 1]!) ? Number(argv[++i]) : 1;
        setAction({ kind: "insert", chain, index: n, rule });
        continue;
      }
      case "-D":
      case "--delete": {
        const chain = next();
        if (argv[i + 1] !== undefined && /^\d+$/.test(argv[i + 1]!)) deleteIndex = Number(argv[++i]);
        setAction({ kind: "delete", chain, rule: null, index: deleteIndex });
        continue;
      }
      case "-N":
      case "--new-chain":
        setAction({ kind: "new-chain", chain: next() });
        continue;
      case "-X":
      case "--delete-chain":
        setAction({ kind: "delete-chain", chain: optionalChain() });
        continue;
      case "-F":
      case "--flush":
        setAction({ kind: "flush", chain: optionalChain() });
        continue;
      case "-Z":
      case "--zero":
        setAction({ kind: "zero", chain: optionalChain() });
        continue;
      case "-P":
      case "--policy": {
        const chain = next();
        const policy = next();
        if (policy !== "ACCEPT" && policy !== "DROP") usageError(`Bad policy name. Run \`dmesg' for more information.`);
        setAction({ kind: "policy", chain, policy });
        continue;
      }
      case "-n":
      case "--numeric":
        numeric = true;
        continue;
      case "-v":
      case "--verbose":
        verbose = true;
        continue;
      case "-x":
      case "--exact":
        exact = true;
        continue;
      case "--line-numbers":
        lineNumbers = true;
        continue;
      case "-nv":
      case "-vn":
        numeric = verbose = true;
        continue;
      case "-s":
      case "--source": {
        const { v, inv } = take(parseAddress(next()));
        rule.source = { ...v, invert: inv };
        continue;
      }
      case "-d":
      case "--destination": {
        const { v, inv } = take(parseAddress(next()));
        rule.destination = { ...v, invert: inv };
        continue;
      }
      case "-i":
      case "--in-interface": {
        const { v, inv } = take(next());
        rule.inInterface = { name: v, invert: inv };
        continue;
      }
      case "-o":
      case "--out-interface": {
        const { v, inv } = take(next());
        rule.outInterface = { name: v, invert: inv };
        continue;
      }
      case "-p":
      case "--protocol": {
        const { v, inv } = take(next());
        const p = PROTOCOLS[v.toLowerCase()];
        if (p === undefined && (REAL_PROTOCOLS.includes(v.toLowerCase()) || (/^\d+$/.test(v) && Number(v) <= 255))) notSimulated(`iptables -p ${v}`);
        if (p === undefined) usageError(`unknown protocol "${v}" specified`);
        rule.protocol = p;
        rule.protocolInvert = inv;
        continue;
      }
      case "-m":
      case "--match": {
        const m = next();
        if (!MATCHES.includes(m) && REAL_MATCHES.includes(m)) notSimulated(`iptables -m ${m}`);
        if (!MATCHES.includes(m)) fail(`${VERSION}: Couldn't load match \`${m}':No such file or directory\n\n${HELP_HINT}`, 2);
        loaded.add(m);
        // Each -m is a match of its own, printed where it was written.
        if (m === "tcp" || m === "udp") placeL4();
        else if (m === "icmp") rule.matches.push({ kind: "icmp-type", type: -1, code: null, invert: false });
        else if (m === "conntrack" || m === "state") rule.matches.push({ kind: "ctstate" });
        else if (m === "comment") rule.matches.push({ kind: "comment", text: "" });
        else if (m === "mark") rule.matches.push({ kind: "mark", value: -1, mask: 0xffffffff, maskGiven: false, invert: false });
        else if (m === "statistic") rule.matches.push({ kind: "statistic", threshold: -1, invert: false });
        else if (m === "recent") rule.matches.push({ kind: "recent", command: "" as RecentCommand, name: "DEFAULT", seconds: null, reap: false, invert: false });
        else if (m === "set") rule.matches.push({ kind: "set", name: "", flags: [], invert: false });
        else if (m === "physdev") rule.matches.push({ kind: "physdev", invert: false });
        continue;
      }
      case "--comment":
        current("comment", a).text = next();
        continue;
      case "--mark": {
        const m = current("mark", a);
        const { v, inv } = take(parseMark(a, next(), "mark"));
        Object.assign(m, { value: v.mask === null ? v.value : (v.value & v.mask) >>> 0, mask: v.mask ?? 0xffffffff, maskGiven: v.mask !== null, invert: inv });
        continue;
      }
      case "--mode": {
        current("statistic", a);
        const mode = next();
        if (mode === "nth") notSimulated("iptables -m statistic --mode nth");
        if (mode !== "random") usageError(`Bad mode "${mode}"`);
        continue;
      }
      case "--probability": {
        const m = current("statistic", a);
        const { v, inv } = take(next());
        const p = Number(v);
        if (!(v.trim() !== "" && p >= 0 && p <= 1)) usageError(`statistic: bad value for option "--probability", or out of range (0-1).\n`);
        m.threshold = statisticThreshold(p);
        m.invert = inv;
        continue;
      }
      case "--name":
        current("recent", a).name = next();
        continue;
      case "--set":
      case "--rcheck":
      case "--update":
      case "--remove": {
        const m = current("recent", a);
        const { inv } = take(null);
        if (m.command !== ("" as RecentCommand)) usageError(`recent: option "${a}" cannot be used together with "--${m.command}".\n`);
        m.command = a.slice(2) as RecentCommand;
        m.invert = inv;
        continue;
      }
      case "--seconds": {
        const m = current("recent", a);
        const v = next();
        if (!/^[0-9]+$/.test(v)) usageError(`recent: bad value for option "--seconds", or out of range (0-4294967295).\n`);
        m.seconds = Number(v);
        continue;
      }
      case "--reap":
        current("recent", a).reap = true;
        continue;
      case "--rsource":
        current("recent", a);
        continue;
      case "--mask": {
        current("recent", a);
        // iptables-save writes the default mask; a narrower one (one entry per subnet) is not simulated.
        if (next() !== "255.255.255.255") notSimulated("iptables -m recent --mask");
        continue;
      }
      case "--match-set": {
        const m = current("set", a);
        const { v: name, inv } = take(next());
        const dirs = next();
        if (dirs.split(",").some((d) => d !== "src" && d !== "dst")) fail(`${VERSION}: You must specify (the comma separated list of) 'src' or 'dst'.\n${HELP_HINT}`, 2);
        Object.assign(m, { name, flags: dirs.split(","), invert: inv });
        continue;
      }
      case "--physdev-is-bridged": {
        const m = current("physdev", a);
        m.invert = take(null).inv;
        physdevGiven = true;
        continue;
      }
      case "--physdev-in":
      case "--physdev-out":
      case "--physdev-is-in":
      case "--physdev-is-out":
        current("physdev", a);
        notSimulated(`iptables -m physdev ${a}`);
      case "--icmp-type": {
        if (rule.protocol !== 1) fail(`${VERSION}: unknown option "${a}"\n${HELP_HINT}`, 2);
        const { v, inv } = take(next());
        const numeric = /^(\d+)(?:\/(\d+))?$/.exec(v);
        const type = numeric !== null ? Number(numeric[1]) : ICMP_TYPES[v];
        if (type === undefined || type > 255) notSimulated(`iptables -p icmp --icmp-type ${v}`);
        if (!loaded.has("icmp")) rule.matches.push({ kind: "icmp-type", type, code: numeric?.[2] === undefined ? null : Number(numeric[2]), invert: inv });
        else Object.assign(current("icmp-type", a), { type, code: numeric?.[2] === undefined ? null : Number(numeric[2]), invert: inv });
        continue;
      }
      case "--src-type":
      case "--dst-type": {
        if (!loaded.has("addrtype")) fail(`${VERSION}: unknown option "${a}"\n${HELP_HINT}`, 2);
        const { v: t, inv } = take(next());
        if (t !== "LOCAL" && ADDRESS_TYPES.includes(t)) notSimulated(`iptables -m addrtype ${a} ${t}`);
        if (t !== "LOCAL") usageError(`addrtype: bad type "${t}"`);
        rule.matches.push({ kind: "addrtype", side: a === "--src-type" ? "src" : "dst", invert: inv });
        continue;
      }
      case "--set-xmark":
      case "--set-mark":
      case "--or-mark":
      case "--and-mark":
      case "--xor-mark": {
        if (target !== "MARK") fail(`${VERSION}: unknown option "${a}"\n${HELP_HINT}`, 2);
        const { value, mask } = parseMark(a, next(), "MARK");
        // libxt_MARK turns every spelling into --set-xmark value/mask.
        if (a === "--set-xmark") markTarget = { value, mask: mask ?? 0xffffffff };
        else if (a === "--set-mark") markTarget = { value, mask: mask === null ? 0xffffffff : (value | mask) >>> 0 };
        else if (a === "--or-mark") markTarget = { value, mask: value };
        else if (a === "--and-mark") markTarget = { value: 0, mask: ~value >>> 0 };
        else markTarget = { value, mask: 0 };
        continue;
      }
      case "--reject-with": {
        if (target !== "REJECT") fail(`${VERSION}: unknown option "${a}"\n${HELP_HINT}`, 2);
        const w = next();
        if (w !== "icmp-port-unreachable" && w !== "port-unreach") notSimulated(`iptables -j REJECT --reject-with ${w}`);
        continue;
      }
      case "--random-fully":
        if (target !== "MASQUERADE") fail(`${VERSION}: unknown option "${a}"\n${HELP_HINT}`, 2);
        randomFully = true;
        continue;
      case "--dport":
      case "--destination-port":
      case "--sport":
      case "--source-port": {
        const v = next();
        const port = Number(v);
        if (rule.protocol !== 6 && rule.protocol !== 17) fail(`${VERSION}: unknown option "${a}"\n${HELP_HINT}`, 2);
        if (!Number.isInteger(port) || port < 0 || port > 65535) usageError(`invalid port/service \`${v}' specified`);
        // The implicit tcp/udp match -p loads sits where its first option is written.
        placeL4();
        if (a.includes("d")) rule.dport = port;
        else rule.sport = port;
        continue;
      }
      case "--ctstate":
      case "--state": {
        const states = next().split(",");
        for (const s of states) if (!["NEW", "ESTABLISHED", "RELATED", "INVALID"].includes(s)) usageError(`Bad ctstate "${s}"`);
        rule.ctstate = states as CtState[];
        continue;
      }
      case "-j":
      case "--jump":
        target = next();
        continue;
      case "--to-destination":
        toDestination = next();
        continue;
      case "--to-source":
        toSource = next();
        continue;
      default:
        if (REAL_OPTIONS.includes(a)) notSimulated(`iptables ${a}`);
        // Options of the match -p loads by itself: --icmp-type with icmp, --syn and the TCP flags with tcp.
        if (rule.protocol === 6 && ["--syn", "--tcp-flags", "--tcp-option"].includes(a)) notSimulated(`iptables -p tcp ${a}`);
        fail(`${VERSION}: unknown option "${a}"\n${HELP_HINT}`, 2);
    }
  }
  if (action === null) fail(`${VERSION}: no command specified\n${HELP_HINT}`, 2);
  const act = action as Action;
  for (const m of rule.matches) {
    if (m.kind === "comment" && m.text === "") usageError(`comment: option "--comment" must be specified\n`);
    if (m.kind === "mark" && m.value < 0) usageError(`mark: option "--mark" must be specified\n`);
    if (m.kind === "statistic" && m.threshold < 0) usageError("--probability must be specified when using random mode");
    if (m.kind === "recent" && m.command === ("" as RecentCommand)) usageError("recent: you must specify one of `--set', `--rcheck' `--update' or `--remove'");
    if (m.kind === "ctstate" && rule.ctstate === null) usageError(`conntrack: option "--ctstate" must be specified\n`);
    if (m.kind === "set" && m.name === "") usageError(`set: option "--match-set" must be specified\n`);
    if (m.kind === "icmp-type" && m.type < 0) usageError(`icmp: option "--icmp-type" must be specified\n`);
    if (m.kind === "physdev" && !physdevGiven) usageError("PHYSDEV: no physdev option specified");
  }
  if (act.kind === "append" || act.kind === "insert" || (act.kind === "delete" && act.index === null)) {
    rule.target = target === null ? { kind: "none" } : parseTarget(target, toDestination, toSource, table, markTarget, randomFully);
    // ipt_REJECT is for the filter table: the kernel refuses the rule when it is committed.
    if (rule.target.kind === "REJECT" && table !== "filter" && act.kind !== "delete") fail(`${VERSION}:  RULE_${act.kind === "insert" ? "INSERT" : "APPEND"} failed (Invalid argument): rule in chain ${act.chain}`, 4);
    if (act.kind === "delete") act.rule = rule;
  }
  return { table, action: act, numeric, verbose, exact, lineNumbers };
}

/**
 * A rule from iptables' own words, as iptables-restore reads one `-A CHAIN …`
 * line: kube-proxy writes its rules this way, so they pass the same parser
 * and print as the real ones. Throws on words iptables would refuse (a bug
 * in the writer).
 */
export function ruleFromArgs(table: TableName, args: string[]): { chain: string; rule: Rule } {
  const p = parse(["-t", table, ...args]);
  if (p.action.kind !== "append") throw new Error(`not an -A line: ${args.join(" ")}`);
  return { chain: p.action.chain, rule: p.action.rule };
}

function parseTarget(name: string, toDestination: string | null, toSource: string | null, table: TableName, mark: { value: number; mask: number } | null, randomFully: boolean): RuleTarget {
  switch (name) {
    case "ACCEPT":
    case "DROP":
    case "RETURN":
      return { kind: name };
    case "MARK":
      if (mark === null) usageError("MARK: One of the --set-xmark, --{and,or,xor,set}-mark options is required");
      return { kind: "MARK", ...mark };
    case "REJECT":
      return { kind: "REJECT" };
    case "MASQUERADE":
      if (table !== "nat") usageError("MASQUERADE: only valid in the nat table");
      return randomFully ? { kind: "MASQUERADE", randomFully } : { kind: "MASQUERADE" };
    case "DNAT":
    case "SNAT": {
      if (table !== "nat") usageError(`${name}: only valid in the nat table`);
      const to = name === "DNAT" ? toDestination : toSource;
      if (to === null) usageError(`${name}: option "--to-${name === "DNAT" ? "destination" : "source"}" is required`);
      return { kind: name, ...parseNatTo(to) };
    }
    default:
      if (REAL_TARGETS.includes(name)) notSimulated(`iptables -j ${name}`);
      return { kind: "jump", chain: name };
  }
}

function requireChain(ctx: CommandContext, table: TableName, name: string): Chain {
  const c = ctx.ns.netfilter.chain(table, name);
  if (c === undefined) fail(`${VERSION}: chain \`${name}' in table \`${table}' is incompatible, use 'nft' tool.`, 1);
  return c;
}

function num(n: number, exact: boolean): string {
  if (exact) return String(n).padStart(8);
  if (n <= 99999) return String(n).padStart(5);
  const units = ["K", "M", "G", "T"];
  let v = n;
  for (const u of units) {
    v = Math.floor((v + 500) / 1000);
    if (v <= 9999) return `${String(v).padStart(4)}${u}`;
  }
  return `${String(v).padStart(4)}T`;
}

function listChain(ctx: CommandContext, p: Parsed, table: TableName, c: Chain): string[] {
  const lines: string[] = [];
  const nf = ctx.ns.netfilter;
  const head = c.builtin
    ? p.verbose
      ? `Chain ${c.name} (policy ${c.policy} ${c.policyPackets} packets, ${c.policyBytes} bytes)`
      : `Chain ${c.name} (policy ${c.policy})`
    : `Chain ${c.name} (${nf.references(table, c.name)} references)`;
  lines.push(head);
  const numCol = p.lineNumbers ? "num  " : "";
  lines.push(p.verbose ? `${numCol} pkts bytes target     prot opt in     out     source               destination         ` : `${numCol}target     prot opt source               destination         `);
  c.rules.forEach((r, i) => {
    const col = listColumns(r, p.numeric);
    let line = p.lineNumbers ? `${String(i + 1).padEnd(4)} ` : "";
    if (p.verbose) line += `${num(r.packets, p.exact)} ${num(r.bytes, p.exact)} `;
    line += `${col.target.padEnd(9)} ${col.prot.padEnd(5)} ${col.opt.padEnd(3)}`;
    if (p.verbose) line += ` ${col.in.padEnd(6)} ${col.out.padEnd(6)} `;
    line += `${col.source.padEnd(20)} ${col.destination.padEnd(20)} ${col.extra}`;
    lines.push(line);
  });
  return lines;
}

export const iptablesCommand: CommandHandler = (argv, ctx) => {
  const p = parse(argv);
  const nf = ctx.ns.netfilter;
  const t = p.table;
  const a = p.action;
  switch (a.kind) {
    case "list": {
      const chains = a.chain === null ? orderedChains(nf, t) : [requireChain(ctx, t, a.chain)];
      const blocks = chains.map((c) => listChain(ctx, p, t, c).join("\n"));
      ctx.out.push(...blocks.join("\n\n").split("\n"));
      return 0;
    }
    case "spec": {
      const chains = a.chain === null ? orderedChains(nf, t) : [requireChain(ctx, t, a.chain)];
      const out: string[] = [];
      for (const c of chains) out.push(c.builtin ? `-P ${c.name} ${c.policy}` : `-N ${c.name}`);
      for (const c of chains) for (const r of c.rules) out.push(ruleSpec(c.name, r));
      if (a.chain === null) out.sort((x, y) => rank(x) - rank(y));
      ctx.out.push(...out);
      return 0;
    }
    case "append":
    case "insert": {
      const c = requireChain(ctx, t, a.chain);
      if (a.rule.target.kind === "jump" && nf.chain(t, a.rule.target.chain) === undefined) fail(`${VERSION}: Chain '${a.rule.target.chain}' does not exist\n${HELP_HINT}`, 2);
      const missingSet = a.rule.matches.find((m) => m.kind === "set" && nf.ipsets.get(m.name) === undefined);
      if (missingSet !== undefined && missingSet.kind === "set") fail(`${VERSION}: Set ${missingSet.name} doesn't exist.\n\n${HELP_HINT}`, 2);
      if (a.kind === "insert" && (a.index < 1 || a.index > c.rules.length + 1)) fail(`${VERSION}: Index of insertion too big.`, 1);
      const refused = nf.insertRule(c, a.rule, a.kind === "append" ? null : a.index - 1);
      // The kernel's refusal of a commit: exit 1 (iptables keeps 4, RESOURCE_PROBLEM, for EAGAIN).
      if (refused !== null) limitReached(refused, 1);
      return 0;
    }
    case "delete": {
      const c = requireChain(ctx, t, a.chain);
      const i = a.index !== null ? a.index - 1 : c.rules.findIndex((r) => sameRule(r, a.rule!));
      if (i < 0 || i >= c.rules.length) fail(a.index !== null ? `${VERSION}: Index of deletion too big.` : "iptables: Bad rule (does a matching rule exist in that chain?).", 1);
      nf.deleteRule(c, i);
      return 0;
    }
    case "new-chain": {
      if (nf.chain(t, a.chain) !== undefined) fail(`${VERSION}: Chain already exists.`, 1);
      if (!/^[A-Za-z0-9_.-]{1,28}$/.test(a.chain)) usageError(`Invalid chain name \`${a.chain}'`);
      const made = nf.newChain(t, a.chain);
      if (isLimitReached(made)) limitReached(made, 1);
      return 0;
    }
    case "delete-chain": {
      const names = a.chain === null ? [...nf.tables[t].values()].filter((c) => !c.builtin).map((c) => c.name) : [a.chain];
      for (const n of names) {
        const c = requireChain(ctx, t, n);
        if (c.builtin) fail(`${VERSION}: Can't delete built-in chain.`, 1);
        if (c.rules.length > 0 || nf.references(t, n) > 0) fail(`${VERSION}: Directory not empty.`, 1);
      }
      for (const n of names) nf.deleteChain(t, n);
      return 0;
    }
    case "flush": {
      const chains = a.chain === null ? orderedChains(nf, t) : [requireChain(ctx, t, a.chain)];
      for (const c of chains) nf.flushChain(c);
      return 0;
    }
    case "policy": {
      const c = requireChain(ctx, t, a.chain);
      if (!c.builtin || !BUILTIN_CHAINS[t].includes(a.chain)) fail(`${VERSION}: Bad built-in chain name.`, 1);
      c.policy = a.policy;
      return 0;
    }
    case "zero": {
      const chains = a.chain === null ? orderedChains(nf, t) : [requireChain(ctx, t, a.chain)];
      for (const c of chains) {
        c.policyPackets = c.policyBytes = 0;
        for (const r of c.rules) r.packets = r.bytes = 0;
      }
      return 0;
    }
  }
};

/** -S prints policies, then new chains, then rules, each group in chain order. */
function rank(line: string): number {
  return line.startsWith("-P") ? 0 : line.startsWith("-N") ? 1 : 2;
}
