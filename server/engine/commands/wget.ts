/**
 * GNU wget (1.21) as a pod's check of a Service: `wget -q -O - URL` (also
 * -qO-, -T/--timeout SECONDS, --tries N), the body on standard output. The
 * host name resolves as getaddrinfo.ts does; the GET goes over the simulated
 * TCP (http-get.ts). -q makes wget print nothing else, errors included, so a
 * failure shows only in its exit status: 4 for a network failure (a name
 * that does not resolve, a refused or timed-out connection), 8 for an error
 * status from the server. Without -q wget prints a dated progress log and
 * transfer rates measured on the wall clock: not simulated; nor is saving to
 * a file.
 */
import { fail, type CommandHandler } from "./command-context.js";
import { getaddrinfo } from "./getaddrinfo.js";
import { httpGet } from "./http-get.js";
import { notSimulated } from "./not-simulated.js";

const SECOND = 1_000_000;
const USER_AGENT = "Wget/1.21.3";
const HELP = "Usage: wget [OPTION]... [URL]...\n\nTry `wget --help' for more options.";

export const wgetCommand: CommandHandler = (argv, ctx) => {
  let quiet = false;
  let output: string | null = null;
  let timeout = 900;
  let tries = 20;
  const urls: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (name: string) => argv[++i] ?? fail(`wget: option requires an argument -- '${name}'\n${HELP}`, 2);
    if (a === "-q" || a === "--quiet") quiet = true;
    else if (a === "-O" || a === "--output-document") output = value("O");
    else if (a.startsWith("--output-document=")) output = a.slice(18);
    else if (a === "-qO-" || a === "-qO" || a === "-O-") {
      if (a.startsWith("-q")) quiet = true;
      output = a.endsWith("-") ? "-" : value("O");
    } else if (a === "-T" || a === "--timeout" || a.startsWith("--timeout=")) {
      const v = a.startsWith("--timeout=") ? a.slice(10) : value("T");
      if (!/^\d+(\.\d+)?$/.test(v)) fail(`wget: --timeout: Invalid time period ‘${v}’`, 2);
      timeout = Number(v);
    } else if (a === "-t" || a === "--tries" || a.startsWith("--tries=")) {
      const v = a.startsWith("--tries=") ? a.slice(8) : value("t");
      if (!/^\d+$/.test(v)) fail(`wget: --tries: Invalid number ‘${v}’.`, 2);
      tries = Number(v);
    } else if (a.startsWith("-")) notSimulated(`wget ${a}`);
    else urls.push(a);
  }
  if (urls.length === 0) fail(`wget: missing URL\n${HELP}`, 1);
  if (urls.length > 1) notSimulated("wget with several URLs");
  if (!quiet) notSimulated("wget without -q (its progress log)");
  if (output !== "-") notSimulated("wget saving to a file (use -O -)");
  const url = urls[0]!;
  const m = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):\/\/)?([^/:?#]+)(?::(\d*))?([^?#]*)?(\?[^#]*)?$/.exec(url);
  const scheme = (m?.[1] ?? "http").toLowerCase();
  if (m === null || m[2] === undefined) return 1;
  if (scheme !== "http") {
    if (scheme === "https") notSimulated("wget https://");
    return 1;
  }
  const host = m[2];
  const port = m[3] === undefined || m[3] === "" ? 80 : Number(m[3]);
  if (port > 65535) return 1;
  const path = (m[4] === undefined || m[4] === "" ? "/" : m[4]) + (m[5] ?? "");
  const resolved = getaddrinfo(ctx, host, "wget");
  if (!resolved.ok) return 4;
  const request = `GET ${path} HTTP/1.1\r\nHost: ${port === 80 ? host : `${host}:${port}`}\r\nUser-Agent: ${USER_AGENT}\r\nAccept: */*\r\nAccept-Encoding: identity\r\nConnection: Keep-Alive\r\n\r\n`;
  const sched = ctx.net.scheduler;
  const wait = Math.round(timeout * SECOND);
  // A refused connection ends wget at once; a timed-out one is tried again (--tries, 0 for ever: here at most 20), waiting 1, 2 … 10 s between tries (--waitretry 10).
  let r = httpGet(ctx, resolved.address, port, request, "wget", sched.now + wait, sched.now + 2 * wait, 4);
  for (let attempt = 1; (r.kind === "connect-timeout" || r.kind === "transfer-timeout") && attempt < (tries === 0 ? 20 : Math.min(tries, 20)); attempt++) {
    sched.runUntil(sched.now + Math.min(attempt, 10) * SECOND);
    r = httpGet(ctx, resolved.address, port, request, "wget", sched.now + wait, sched.now + 2 * wait, 4);
  }
  if (r.kind !== "response") return 4;
  const status = /^HTTP\/\d\.\d (\d{3})/.exec(r.head);
  if (status === null || Number(status[1]) >= 400) return 8;
  const lines = r.body.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  ctx.out.push(...lines);
  return 0;
};
