/**
 * `ss` (iproute2 6.1): the namespace's TCP and UDP sockets, filtered by table
 * (-t, -u), state (-l, -a, `state X`, `exclude X`) and port (`sport = :N`,
 * `dport = :N`), with owners (-p) and the -s summary.
 *
 * The filter logic follows ss.c: each table brings its default states, -l
 * and -a replace them, and the Netid / State columns disappear when only one
 * table / one state can appear. UDP sockets are listed before TCP ones, and
 * TCP listeners before connections. Only IPv4 TCP and UDP sockets exist in
 * the simulator: the unix, netlink and raw sockets a real `ss` or `ss -a`
 * also lists are not shown. The output is laid out for an 80-column terminal,
 * like the recorded outputs.
 */
import type { NetNamespace } from "../stack/namespace.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";
import { firstSocketFd, listenBacklog, processPid, programName } from "./process-profile.js";
import { renderSsTable, type SsRow } from "./ss-layout.js";

export const SCREEN_WIDTH = 80;

/** ss's state numbering (the kernel's TCP_* values). */
const SS = { ESTAB: 1, "SYN-SENT": 2, "SYN-RECV": 3, "FIN-WAIT-1": 4, "FIN-WAIT-2": 5, "TIME-WAIT": 6, UNCONN: 7, "CLOSE-WAIT": 8, "LAST-ACK": 9, LISTEN: 10, CLOSING: 11 } as const;
type SsState = keyof typeof SS;
const bit = (s: SsState) => 1 << SS[s];
const SS_ALL = (1 << 12) - 2;
const SS_CONN = SS_ALL & ~(bit("LISTEN") | bit("UNCONN") | bit("TIME-WAIT") | bit("SYN-RECV"));

const STATE_WORDS: Record<string, number> = {
  established: bit("ESTAB"),
  "syn-sent": bit("SYN-SENT"),
  "syn-recv": bit("SYN-RECV"),
  "syn-rcv": bit("SYN-RECV"),
  "fin-wait-1": bit("FIN-WAIT-1"),
  "fin-wait-2": bit("FIN-WAIT-2"),
  "time-wait": bit("TIME-WAIT"),
  close: bit("UNCONN"),
  closed: bit("UNCONN"),
  unconnected: bit("UNCONN"),
  "close-wait": bit("CLOSE-WAIT"),
  "last-ack": bit("LAST-ACK"),
  listening: bit("LISTEN"),
  closing: bit("CLOSING"),
  all: SS_ALL,
  connected: SS_ALL & ~(bit("UNCONN") | bit("LISTEN")),
  synchronized: SS_ALL & ~(bit("UNCONN") | bit("LISTEN") | bit("SYN-SENT")),
  bucket: bit("SYN-RECV") | bit("TIME-WAIT"),
  big: SS_ALL & ~(bit("SYN-RECV") | bit("TIME-WAIT")),
};

/** /etc/services (Debian netbase) for the ports a lab uses; ss leaves the ephemeral range numeric. */
const SERVICES: Record<string, Record<number, string>> = {
  tcp: { 20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 25: "smtp", 53: "domain", 80: "http", 88: "kerberos", 110: "pop3", 111: "sunrpc", 143: "imap2", 389: "ldap", 443: "https", 514: "shell", 587: "submission", 631: "ipp", 873: "rsync", 993: "imaps", 995: "pop3s", 2049: "nfs", 3306: "mysql", 5432: "postgresql", 6379: "redis", 8080: "http-alt" },
  udp: { 53: "domain", 67: "bootps", 68: "bootpc", 69: "tftp", 88: "kerberos", 111: "sunrpc", 123: "ntp", 161: "snmp", 389: "ldap", 443: "https", 514: "syslog", 2049: "nfs", 5353: "mdns" },
};
const EPHEMERAL = { min: 32768, max: 60999 };

interface SsOptions {
  tcp: boolean;
  udp: boolean;
  /** Tables selected explicitly; false means ss's default (all tables). */
  tablesGiven: boolean;
  states: number;
  numeric: boolean;
  processes: boolean;
  header: boolean;
  summary: boolean;
  sport?: number;
  dport?: number;
}

function service(port: number, proto: "tcp" | "udp", numeric: boolean): string {
  if (port === 0) return "*";
  if (numeric || (port >= EPHEMERAL.min && port <= EPHEMERAL.max)) return String(port);
  return SERVICES[proto]![port] ?? String(port);
}

interface Sock {
  proto: "tcp" | "udp";
  state: SsState;
  recvQ: number;
  sendQ: number;
  local: number;
  localPort: number;
  peer: number;
  peerPort: number;
  owner: string | null;
}

/** Every socket of the namespace in dump order: UDP, then TCP listeners, then TCP connections. */
function sockets(ns: NetNamespace): Sock[] {
  const t = ns.sockets;
  const list: Sock[] = [];
  for (const u of t.udp) list.push({ proto: "udp", state: "UNCONN", recvQ: 0, sendQ: 0, local: u.address, localPort: u.port, peer: 0, peerPort: 0, owner: u.process });
  for (const l of t.tcpListeners)
    list.push({ proto: "tcp", state: "LISTEN", recvQ: 0, sendQ: listenBacklog(l.process), local: l.address, localPort: l.port, peer: 0, peerPort: 0, owner: l.process });
  for (const c of t.tcpConnections) {
    if (c.state === "CLOSED") continue;
    // A TIME-WAIT socket has been released by its process: no owner to show.
    const state: SsState = c.state;
    list.push({ proto: "tcp", state, recvQ: 0, sendQ: 0, local: c.local, localPort: c.localPort, peer: c.remote, peerPort: c.remotePort, owner: c.state === "TIME-WAIT" ? null : c.process });
  }
  return list;
}

/** users:(("nginx",pid=N,fd=M)): fds count up over a process's sockets in dump order. */
function usersColumn(all: Sock[], s: Sock): string {
  if (s.owner === null) return "";
  const earlier = all.slice(0, all.indexOf(s)).filter((x) => x.owner === s.owner).length;
  return ` users:(("${programName(s.owner)}",pid=${processPid(s.owner)},fd=${firstSocketFd(s.owner) + earlier}))`;
}

function summary(ctx: CommandContext, all: Sock[]): number {
  const tcp = all.filter((s) => s.proto === "tcp");
  const udp = all.filter((s) => s.proto === "udp").length;
  const tw = tcp.filter((s) => s.state === "TIME-WAIT").length;
  const inuse = tcp.length - tw;
  const estab = tcp.filter((s) => s.state === "ESTAB" || s.state === "CLOSE-WAIT").length;
  const row = (name: string, v4: number) => `${name}\t  ${String(v4).padEnd(9)} ${String(v4).padEnd(9)} ${"0".padEnd(9)}`;
  ctx.out.push(
    `Total: ${inuse + udp}`,
    `TCP:   ${inuse + tw} (estab ${estab}, closed ${tw}, orphaned 0, timewait ${tw})`,
    "",
    "Transport Total     IP        IPv6",
    row("RAW", 0),
    row("UDP", udp),
    row("TCP", inuse),
    row("INET", inuse + udp),
    row("FRAG", 0),
    "",
  );
  return 0;
}

/** The filter expression ss accepts after its options: state/exclude words and sport/dport. */
function parseFilter(words: string[], opts: SsOptions): void {
  let sawStates = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === "state" || w === "exclude" || w === "excl") {
      const name = words[++i];
      if (name === undefined) fail("Usage: ss [ OPTIONS ]\n       ss [ OPTIONS ] [ FILTER ]", 255);
      const mask = STATE_WORDS[name.toLowerCase()];
      if (mask === undefined) fail(`ss: wrong state name: ${name}`, 255);
      if (w === "state") opts.states = (sawStates ? opts.states : 0) | mask;
      else opts.states = (sawStates ? opts.states : SS_ALL) & ~mask;
      sawStates = true;
    } else if (w === "sport" || w === "dport") {
      let value = words[++i];
      if (value === "=" || value === "==" || value === "eq") value = words[++i];
      const m = value === undefined ? null : /^:(\d+)$/.exec(value);
      if (m === null) notSimulated(`ss ${words.join(" ")}`);
      if (w === "sport") opts.sport = Number(m[1]);
      else opts.dport = Number(m[1]);
    } else if (/^[a-z]/i.test(w) && !/^[0-9a-f:.]+$/i.test(w)) {
      fail(`Error: an inet prefix is expected rather than "${w}".\nCannot parse dst/src address.`, 1);
    } else notSimulated(`ss ${words.join(" ")}`);
  }
}

/** iproute2 6.1 ss's other long options: real, not simulated. */
const REAL_LONG_OPTIONS = (
  "--help --version --resolve --options --extended --memory --threads --info --tipcinfo --tos --cgroup --bpf --events " +
  "--context --contexts --net --ipv6 --packet --mptcp --sctp --dccp --raw --unix --tipc --vsock --xdp --family --kill " +
  "--oneline --inet-sockopt --query --socket --diag --filter"
).split(" ");

export const ssCommand: CommandHandler = (argv, ctx) => {
  const opts: SsOptions = { tcp: false, udp: false, tablesGiven: false, states: 0, numeric: false, processes: false, header: true, summary: false };
  let stateFilter = 0;
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith("-"); i++) {
    const a = argv[i]!;
    const long: Record<string, string> = { "--tcp": "t", "--udp": "u", "--listening": "l", "--all": "a", "--numeric": "n", "--processes": "p", "--summary": "s", "--no-header": "H", "--ipv4": "4" };
    const flags = a.startsWith("--") ? long[a] : a.slice(1);
    if (flags === undefined && REAL_LONG_OPTIONS.includes(a.replace(/=.*/, ""))) notSimulated(`ss ${a.replace(/=.*/, "")}`);
    if (flags === undefined) fail(`ss: unrecognized option '${a}'\nUsage: ss [ OPTIONS ]\n       ss [ OPTIONS ] [ FILTER ]`, 255);
    for (const c of flags) {
      if (c === "t") opts.tcp = opts.tablesGiven = true;
      else if (c === "u") opts.udp = opts.tablesGiven = true;
      else if (c === "l") stateFilter = bit("LISTEN") | bit("UNCONN");
      else if (c === "a") stateFilter = SS_ALL;
      else if (c === "n") opts.numeric = true;
      else if (c === "p") opts.processes = true;
      else if (c === "s") opts.summary = true;
      else if (c === "H") opts.header = false;
      else if (c === "4" || c === "r") continue;
      else if (c === "V") {
        ctx.out.push("ss utility, iproute2-6.1.0");
        return 0;
      } else if ("6xw0dSMeomibEKZzONAfDFTh".includes(c)) notSimulated(`ss -${c}`);
      else fail(`ss: invalid option -- '${c}'\nUsage: ss [ OPTIONS ]\n       ss [ OPTIONS ] [ FILTER ]`, 255);
    }
  }
  const all = sockets(ctx.ns);
  if (opts.summary) {
    summary(ctx, all);
    if (!opts.tablesGiven && stateFilter === 0 && i === argv.length) return 0;
  }
  // Each table brings its default states (TCP: the connected ones; UDP: established); -l and -a replace them.
  if (!opts.tablesGiven) {
    opts.tcp = opts.udp = true;
    opts.states = stateFilter || SS_CONN;
  } else {
    opts.states = stateFilter || (opts.tcp ? SS_CONN : 0) | (opts.udp ? bit("ESTAB") : 0);
  }
  parseFilter(argv.slice(i), opts);
  if (opts.states === 0) fail("ss: no socket states to show with such filter.", 0);

  const shown = all.filter(
    (s) =>
      (s.proto === "tcp" ? opts.tcp : opts.udp) &&
      (opts.states & bit(s.state)) !== 0 &&
      (opts.sport === undefined || s.localPort === opts.sport) &&
      (opts.dport === undefined || s.peerPort === opts.dport),
  );
  const rows: SsRow[] = shown.map((s) => ({
    netid: s.proto,
    state: s.state,
    recvQ: s.recvQ,
    sendQ: s.sendQ,
    local: formatIpv4(s.local),
    localPort: service(s.localPort, s.proto, opts.numeric),
    peer: formatIpv4(s.peer),
    peerPort: service(s.peerPort, s.proto, opts.numeric),
    process: opts.processes ? usersColumn(all, s) : "",
  }));
  const singleState = (opts.states & (opts.states - 1)) === 0;
  // Without -t/-u ss dumps every table (unix, netlink, raw...), so the Netid column stays.
  const singleTable = opts.tablesGiven && opts.tcp !== opts.udp;
  ctx.out.push(...renderSsTable(rows, { showNetid: !singleTable, showState: !singleState, header: opts.header, screenWidth: SCREEN_WIDTH }));
  return 0;
};
