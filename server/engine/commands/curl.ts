/**
 * curl for plain HTTP: connects over the simulated TCP, sends a GET, prints
 * the body (-i: with the headers, -v: curl's verbose trail, -s: no error
 * text), and fails with curl's own exit codes (7 cannot connect, 28 timeout,
 * 6 cannot resolve, 3 bad URL). Host names resolve as getaddrinfo.ts does.
 */
import { formatIpv4 } from "../wire/ipv4-address.js";
import { fail, type CommandHandler } from "./command-context.js";
import { CURL_LONG_OPTIONS, CURL_SHORT_OPTIONS } from "./curl-options.js";
import { notSimulated } from "./not-simulated.js";
import { httpGet } from "./http-get.js";
import { getaddrinfo } from "./getaddrinfo.js";

const SECOND = 1_000_000;
const USER_AGENT = "curl/7.88.1";

interface CurlOptions {
  url: string;
  silent: boolean;
  showError: boolean;
  verbose: boolean;
  include: boolean;
  connectTimeout: number;
  maxTime: number | null;
}

function parse(argv: string[]): CurlOptions {
  const o: CurlOptions = { url: "", silent: false, showError: false, verbose: false, include: false, connectTimeout: 300, maxTime: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const seconds = (name: string) => {
      const v = argv[++i];
      if (v === undefined) fail(`curl: option ${name}: requires parameter\ncurl: try 'curl --help' or 'curl --manual' for more information`, 2);
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0) fail(`curl: option ${name}: expected a proper numerical parameter\ncurl: try 'curl --help' or 'curl --manual' for more information`, 2);
      return n;
    };
    if (a === "--connect-timeout") o.connectTimeout = seconds(a);
    else if (a === "-m" || a === "--max-time") o.maxTime = seconds(a);
    else if (a === "-v" || a === "--verbose") o.verbose = true;
    else if (a === "-i" || a === "--include") o.include = true;
    else if (a === "-S" || a === "--show-error") o.showError = true;
    else if (a === "-s" || a === "--silent") o.silent = true;
    else if (/^-[svSi]+$/.test(a)) {
      for (const f of a.slice(1)) {
        if (f === "s") o.silent = true;
        if (f === "v") o.verbose = true;
        if (f === "S") o.showError = true;
        if (f === "i") o.include = true;
      }
    } else if (a.startsWith("--") && CURL_LONG_OPTIONS.has(a.slice(2))) notSimulated(`curl ${a}`);
    else if (/^-[^-]/.test(a) && CURL_SHORT_OPTIONS.includes(a[1]!)) {
      // A group of short options: the first one cnlab does not read is the one to name.
      const c = [...a.slice(1)].find((f) => !"svSi".includes(f))!;
      if (!CURL_SHORT_OPTIONS.includes(c)) fail(`curl: option ${a}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information`, 2);
      notSimulated(`curl -${c}`);
    } else if (a.startsWith("-")) fail(`curl: option ${a}: is unknown\ncurl: try 'curl --help' or 'curl --manual' for more information`, 2);
    else o.url = a;
  }
  if (o.url === "") fail("curl: no URL specified!\ncurl: try 'curl --help' or 'curl --manual' for more information", 2);
  return o;
}

export const curlCommand: CommandHandler = (argv, ctx) => {
  const o = parse(argv);
  const m = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):\/\/)?([^/:?#]+)(?::(\d*))?([^?#]*)?(\?[^#]*)?/.exec(o.url);
  const scheme = (m?.[1] ?? "http").toLowerCase();
  const errorOut = (code: number, message: string): number => {
    if (!o.silent || o.showError) ctx.out.push(`curl: (${code}) ${message}`);
    return code;
  };
  if (m === null || m[2] === undefined) return errorOut(3, "URL using bad/illegal format or missing URL");
  if (scheme !== "http") return errorOut(1, `Protocol "${scheme}" not supported or disabled in libcurl`);
  const hostName = m[2];
  const port = m[3] === undefined || m[3] === "" ? 80 : Number(m[3]);
  if (port > 65535) return errorOut(3, "URL using bad/illegal format or missing URL");
  const path = (m[4] === undefined || m[4] === "" ? "/" : m[4]) + (m[5] ?? "");
  // In a pod the name goes to the cluster's DNS first: its query and answer come before the SYN in the trace.
  const resolved = getaddrinfo(ctx, hostName, "curl");
  if (!resolved.ok) return errorOut(6, `Could not resolve host: ${hostName}`);
  const dst = resolved.address;

  const { out, net } = ctx;
  const sched = net.scheduler;
  const start = sched.now;
  const verbose = (line: string) => {
    if (o.verbose) out.push(line);
  };
  const addr = formatIpv4(dst);
  verbose(`*   Trying ${addr}:${port}...`);
  const request =
    `GET ${path} HTTP/1.1\r\nHost: ${port === 80 ? hostName : `${hostName}:${port}`}\r\nUser-Agent: ${USER_AGENT}\r\nAccept: */*\r\n\r\n`;
  const connectLimit = start + Math.round(o.connectTimeout * SECOND);
  const totalLimit = o.maxTime === null ? start + 3600 * SECOND : start + Math.round(o.maxTime * SECOND);
  const r = httpGet(ctx, dst, port, request, "curl", connectLimit, totalLimit, 7);
  const elapsed = () => Math.floor((sched.now - start) / 1000);
  if (r.kind === "connect-timeout") {
    verbose(`* Failed to connect to ${hostName} port ${port} after ${elapsed()} ms: Timeout was reached`);
    verbose("* Closing connection 0");
    return errorOut(28, `Failed to connect to ${hostName} port ${port} after ${elapsed()} ms: Timeout was reached`);
  }
  if (r.kind === "connect-failed") {
    const reason =
      r.error === "ECONNREFUSED" ? "Connection refused" : r.error === "ENETUNREACH" ? "Network is unreachable" : r.error === "ETIMEDOUT" ? "Connection timed out" : "No route to host";
    verbose(`* connect to ${addr} port ${port} failed: ${reason}`);
    verbose(`* Failed to connect to ${hostName} port ${port} after ${elapsed()} ms: Couldn't connect to server`);
    verbose("* Closing connection 0");
    // The kernel gave up on the SYNs (ETIMEDOUT): curl 7.88 says it could not connect, but exits 28, a timeout.
    return errorOut(r.error === "ETIMEDOUT" ? 28 : 7, `Failed to connect to ${hostName} port ${port} after ${elapsed()} ms: Couldn't connect to server`);
  }
  verbose(`* Connected to ${hostName} (${addr}) port ${port} (#0)`);
  for (const l of request.split("\r\n").slice(0, -1)) verbose(`> ${l}`);
  if (r.kind === "transfer-timeout") return errorOut(28, `Operation timed out after ${elapsed()} milliseconds with ${r.received} bytes received`);
  const { head, body } = r;
  for (const l of head.split("\r\n")) verbose(`< ${l}`);
  verbose("< ");
  if (o.include) out.push(...head.split("\r\n"), "");
  const lines = body.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  out.push(...lines);
  verbose(`* Connection #0 to host ${hostName} left intact`);
  return 0;
};
