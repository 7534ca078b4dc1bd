/**
 * nc (Debian's netcat-openbsd) in zero-I/O mode, the way a Service or a
 * NetworkPolicy is probed from a pod: `nc -z [-v] [-n] [-w SECONDS] HOST
 * PORT`. The host name resolves as getaddrinfo.ts does (the cluster's DNS in
 * a pod, its frames before the SYN); a TCP connect over the simulated
 * network, then closed. Exit 0 when it connected, 1 otherwise; with -v the
 * tool's lines on success and failure ("Connection to web (10.96.0.80) 80
 * port [tcp/http] succeeded!", "nc: connect to … failed: Connection
 * refused"); a name that does not resolve is reported whatever the flags.
 * Without -z nc would carry standard input over the connection: not
 * simulated, nor are UDP (-u) and listening (-l).
 */
import { isLimitReached } from "../object-quota.js";
import { tcpClose, tcpConnect } from "../stack/tcp.js";
import type { TcpConnection } from "../stack/sockets.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandHandler } from "./command-context.js";
import { gaiMessage, getaddrinfo, literalHost } from "./getaddrinfo.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

const SECOND = 1_000_000;
const USAGE = "usage: nc [-46CDdFhklNnrStUuvZz] [-I length] [-i interval] [-M ttl]\n\t  [-m minttl] [-O length] [-P proxy_username] [-p source_port]\n\t  [-q seconds] [-s sourceaddr] [-T keyword] [-V rtable] [-W recvlimit]\n\t  [-w timeout] [-X proxy_protocol] [-x proxy_address[:port]]\n\t  [destination] [port]";

/** getservbyport over /etc/services, for the ports a lab uses. */
const SERVICES: Record<number, string> = { 22: "ssh", 53: "domain", 80: "http", 443: "https", 2379: "etcd-client", 8080: "http-alt" };

export const ncCommand: CommandHandler = (argv, ctx) => {
  let zero = false;
  let verbose = false;
  let numeric = false;
  let wait: number | null = null;
  const words: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-") || a === "-") {
      words.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j]!;
      if (f === "z") zero = true;
      else if (f === "v") verbose = true;
      else if (f === "n") numeric = true;
      else if (f === "w") {
        const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (v === undefined) fail(`nc: option requires an argument -- 'w'\n${USAGE}`, 1);
        if (!/^\d+$/.test(v)) fail(`nc: timeout ${/^-/.test(v) ? "too small" : "invalid"}: ${v}`, 1);
        wait = Number(v);
        break;
      } else if ("46CDdFhklNrStUuZIiMmOPpqsTVWXx".includes(f)) notSimulated(`nc -${f}`);
      else fail(`nc: invalid option -- '${f}'\n${USAGE}`, 1);
    }
  }
  if (!zero) notSimulated("nc without -z (carrying standard input over the connection)");
  const [host, portText, ...more] = words;
  if (host === undefined || portText === undefined) fail(USAGE, 1);
  if (more.length > 0) notSimulated("nc with several ports");
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) fail(`nc: port number invalid: ${portText}`, 1);
  const port = Number(portText);
  // -n: AI_NUMERICHOST, so a name is refused without asking anyone.
  const literal = /^[0-9.]+$/.test(host) ? literalHost(ctx, host) : null;
  const resolved = !numeric ? getaddrinfo(ctx, host, "nc") : literal === null ? ({ ok: false, error: "EAI_NONAME" } as const) : ({ ok: true, address: literal, canonical: host } as const);
  if (!resolved.ok) fail(`nc: getaddrinfo for host "${host}" port ${port}: ${gaiMessage(resolved.error)}`, 1);
  const ip = formatIpv4(resolved.address);
  const who = numeric || host === ip ? host : `${host} (${ip})`;

  const { ns, net, out } = ctx;
  const sched = net.scheduler;
  let connected = false;
  let error: string | null = null;
  const made = tcpConnect(ns, resolved.address, port, "nc", {
    onConnected: () => {
      connected = true;
    },
    onError: (e) => {
      error = e;
    },
  });
  if (isLimitReached(made)) limitReached(made, 1);
  const conn: TcpConnection | null = made === "ENETUNREACH" ? null : made;
  if (conn === null) error = "ENETUNREACH";
  const limit = wait === null ? sched.now + 3600 * SECOND : sched.now + wait * SECOND;
  sched.runUntilDone(() => connected || error !== null, limit);
  if (connected) {
    tcpClose(ns, conn!);
    if (verbose) out.push(`Connection to ${who} ${port} port [tcp/${numeric ? "*" : (SERVICES[port] ?? "*")}] succeeded!`);
    return 0;
  }
  if (conn !== null && error === null) {
    sched.runUntil(limit);
    tcpClose(ns, conn);
    if (verbose) out.push(`nc: connect to ${who} port ${port} (tcp) timed out: Operation now in progress`);
    return 1;
  }
  const reason = error === "ECONNREFUSED" ? "Connection refused" : error === "ENETUNREACH" ? "Network is unreachable" : error === "ETIMEDOUT" ? "Connection timed out" : "No route to host";
  if (verbose) out.push(`nc: connect to ${who} port ${port} (tcp) failed: ${reason}`);
  return 1;
};
