/**
 * ping's command line as iputils 20221126 reads it: getopt's rules (grouped
 * flags, attached or separate values, options after the destination, `--`),
 * then each option's own checks with iputils' messages and exit codes.
 *
 * Every option iputils has is one of three kinds here: simulated; accepted
 * because it changes nothing this simulator shows (-4 -B -C -d -L -n -U, -S,
 * -l 1); or refused with the not-simulated message once the whole line has
 * passed iputils' own checks, so a real mistake elsewhere on the line still
 * gets the real error. Only letters iputils lacks (-H, -x …) are "invalid
 * option". A cnlab terminal is root, so iputils' limits for other users
 * (intervals under 2 ms, -f, -l over 3) never apply.
 */
import type { PmtuDisc } from "../stack/ipv4.js";
import { CommandFailure, fail } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";
import { resolveHost } from "./resolve-host.js";

export interface PingOptions {
  count: number | null;
  /**
   * Seconds between probes: iputils keeps a whole number of milliseconds,
   * cutting the rest (-i 0.0015 is 1 ms, -i 0.0009 is 0). 0 is iputils'
   * "unlimited flood": the next probe leaves as soon as the previous one is
   * answered (reply or ICMP error), or MIN_FLOOD_INTERVAL after it when it is
   * not; and the statistics end with `ipg/ewma`.
   */
  interval: number;
  /** -W in seconds, whole milliseconds as iputils keeps them. */
  timeout: number | null;
  deadline: number | null;
  ttl: number;
  size: number;
  pmtuDisc: PmtuDisc;
  quiet: boolean;
  /** -a: iputils ends each reply line with a BEL ("\x07") before the newline. */
  audible: boolean;
  /** Warnings iputils writes to stderr while reading the options, before the PING line ("option argument contains garbage"). */
  warnings: string[];
  target: string;
}

/** With interval 0 and nothing answered, iputils still waits this long (MININTERVAL, 10 ms) before the next probe: at most 100 probes a second. */
export const MIN_FLOOD_INTERVAL = 0.01;

/** iputils' usage text (stderr, exit 2): for -h and after getopt's complaints. */
const USAGE = `
Usage
  ping [options] <destination>

Options:
  <destination>      dns name or ip address
  -a                 use audible ping
  -A                 use adaptive ping
  -B                 sticky source address
  -c <count>         stop after <count> replies
  -C                 call connect() syscall on socket creation
  -D                 print timestamps
  -d                 use SO_DEBUG socket option
  -e <identifier>    define identifier for ping session, default is random for
                     SOCK_RAW and kernel defined for SOCK_DGRAM
                     Imply using SOCK_RAW (for IPv4 only for identifier 0)
  -f                 flood ping
  -h                 print help and exit
  -I <interface>     either interface name or address
  -i <interval>      seconds between sending each packet
  -L                 suppress loopback of multicast packets
  -l <preload>       send <preload> number of packages while waiting replies
  -m <mark>          tag the packets going out
  -M <pmtud opt>     define mtu discovery, can be one of <do|dont|want>
  -n                 no dns name resolution
  -O                 report outstanding replies
  -p <pattern>       contents of padding byte
  -q                 quiet output
  -Q <tclass>        use quality of service <tclass> bits
  -s <size>          use <size> as number of data bytes to be sent
  -S <size>          use <size> as SO_SNDBUF socket option value
  -t <ttl>           define time to live
  -U                 print user-to-user latency
  -v                 verbose output
  -V                 print version and exit
  -w <deadline>      reply wait <deadline> in seconds
  -W <timeout>       time to wait for response

IPv4 options:
  -4                 use IPv4
  -b                 allow pinging broadcast
  -R                 record route
  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>

IPv6 options:
  -6                 use IPv6
  -F <flowlabel>     define flow label, default is random
  -N <nodeinfo opt>  use icmp6 node info query, try <help> as argument

For more details see ping(8).`;

/** `ping -V` as Debian's iputils-ping 20221126 prints it. */
const VERSION = "ping from iputils 20221126\nlibcap: yes, IDN: yes, NLS: no, error.h: yes, getrandom(): yes, __fpending(): yes";

/** The option letters of iputils' getopt string, and which of them take a value. */
const FLAGS = "h?4bR6aABCdDfLnOqrUvV";
const WITH_VALUE = "TFNceiIlmMpQsStwW";

const INT_MAX = 2147483647n;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const ULONG_MAX = 2n ** 64n - 1n;
const ERANGE = "Numerical result out of range";

/**
 * strtol_or_err / strtoul_or_err of iputils: base-10 C integer syntax (leading
 * blanks, a sign), the whole word or nothing, then the range. strtoul takes a
 * minus sign and wraps, so "-1" is out of range rather than garbage.
 */
function integerArg(value: string, min: bigint, max: bigint, unsigned = false): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(value);
  if (m === null) fail(`ping: invalid argument: '${value}'`, 1);
  let n = BigInt(m[2]!);
  if (unsigned) {
    if (n > ULONG_MAX) fail(`ping: invalid argument: '${value}': ${ERANGE}`, 1);
    if (m[1] === "-" && n !== 0n) n = ULONG_MAX + 1n - n;
  } else {
    if (m[1] === "-") n = -n;
    if (n < LONG_MIN || n > LONG_MAX) fail(`ping: invalid argument: '${value}': ${ERANGE}`, 1);
  }
  if (n < min || n > max) fail(`ping: invalid argument: '${value}': out of range: ${min} <= value <= ${max}`, 1);
  return Number(n);
}

/** glibc strtod in the C locale: the longest number at the start of `s`, and whether it overflowed or underflowed (ERANGE). */
function strtod(s: string): { value: number; rest: string; erange: boolean } {
  const m = /^[ \t\n\v\f\r]*([+-]?)(?:0[xX]([0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP]([+-]?\d+))?|((?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)|(inf(?:inity)?)|(nan(?:\([0-9A-Za-z_]*\))?))/i.exec(s);
  if (m === null) return { value: 0, rest: s, erange: false };
  const sign = m[1] === "-" ? -1 : 1;
  const rest = s.slice(m[0].length);
  if (m[5] !== undefined) return { value: sign * Infinity, rest, erange: false };
  if (m[6] !== undefined) return { value: NaN, rest, erange: false };
  let value: number;
  let digits: string;
  if (m[2] !== undefined) {
    const [whole = "", frac = ""] = m[2].split(".");
    digits = whole + frac;
    value = (digits === "" ? 0 : parseInt(digits, 16) / 16 ** frac.length) * 2 ** Number(m[3] ?? 0);
  } else {
    digits = m[4]!.replace(/[eE].*/, "");
    value = Number(m[4]);
  }
  const nonzero = /[1-9a-fA-F]/.test(digits);
  // glibc reports ERANGE for a result too large, and for a non-zero number that comes out 0 or subnormal.
  const erange = !Number.isFinite(value) || (nonzero && Math.abs(value) < 2.2250738585072014e-308);
  return { value: sign * value, rest, erange };
}

/**
 * ping_strtod: a seconds value for -i or -W. Trailing garbage (or ERANGE) only
 * warns, as iputils 20221126 still does; an empty word, infinity, NaN or a
 * subnormal number ends ping.
 */
function secondsArg(value: string, what: string, warnings: string[]): number {
  if (value === "") fail(`ping: ${what}: `, 2);
  const r = strtod(value);
  if (r.erange || r.rest !== "") warnings.push(`ping: option argument contains garbage: ${r.rest}`, "ping: this will become fatal error in the future");
  const v = r.value;
  if (!Number.isFinite(v) || (v !== 0 && Math.abs(v) < 2.2250738585072014e-308)) fail(`ping: ${what}: ${value}: ${ERANGE}`, 2);
  return v;
}

/** What `(int)(seconds * 1000)` gives in C: iputils' milliseconds, the fraction cut. */
const wholeMs = (seconds: number): number => Math.trunc(seconds * 1000);

/** parsetos: -Q in decimal or 0x hex, 0 to 255. */
function checkTos(value: string): void {
  const hex = /^0[xX]/.test(value);
  const m = (hex ? /^[ \t]*[+-]?[0-9a-fA-F]*/ : /^[ \t]*[+-]?\d*/).exec(hex ? value.slice(2) : value)!;
  if (m[0].length !== (hex ? value.length - 2 : value.length)) fail(`ping: bad TOS value: ${value}`, 2);
  const digits = m[0].replace(/[ \t+-]/g, "");
  const tos = (digits === "" ? 0 : parseInt(digits, hex ? 16 : 10)) * (m[0].includes("-") ? -1 : 1);
  if (tos > 255) fail(`ping: the decimal value of TOS bits must be in range 0-255: ${tos}`, 2);
}

export function parsePingOptions(argv: string[]): PingOptions {
  const warnings: string[] = [];
  try {
    return parse(argv, warnings);
  } catch (e) {
    // iputils has written its warnings to stderr by the time a later option ends it.
    if (e instanceof CommandFailure && warnings.length > 0) throw new CommandFailure([...warnings, e.message].join("\n"), e.exitCode);
    throw e;
  }
}

function parse(argv: string[], warnings: string[]): PingOptions {
  const o: PingOptions = { count: null, interval: 1, timeout: null, deadline: null, ttl: 64, size: 56, pmtuDisc: "want", quiet: false, audible: false, warnings, target: "" };
  const targets: string[] = [];
  /** The first real option cnlab cannot show: refused after iputils' own checks of the whole line. */
  let unsimulated = null as string | null;
  const skip = (what: string) => {
    unsimulated ??= what;
  };
  let family = null as 4 | 6 | null;
  let recordRoute = false;
  let timestamps = false;
  let pattern = null as string | null;

  const option = (flag: string, value: string): void => {
    switch (flag) {
      case "h":
      case "?":
        fail(USAGE, 2);
      case "V":
        fail(VERSION, 0);
      case "4":
      case "6":
        if (family !== null && family !== Number(flag)) fail("ping: only one -4 or -6 option may be specified", 2);
        family = flag === "4" ? 4 : 6;
        break;
      case "c":
        o.count = integerArg(value, 1n, LONG_MAX);
        break;
      case "i": {
        const seconds = secondsArg(value, "bad timing interval", o.warnings);
        if (seconds > Number(INT_MAX) / 1000) fail(`ping: bad timing interval: ${value}`, 2);
        const ms = wholeMs(seconds);
        // As root iputils takes it and sends every probe back to back, not waiting for any answer.
        if (ms < 0) skip(`ping -i ${value}`);
        o.interval = ms / 1000;
        break;
      }
      case "W": {
        const seconds = secondsArg(value, "bad linger time", o.warnings);
        if (seconds < 0 || seconds > Number(INT_MAX) / 1000) fail(`ping: bad linger time: ${value}`, 2);
        o.timeout = wholeMs(seconds) / 1000;
        break;
      }
      case "w":
        o.deadline = integerArg(value, 0n, INT_MAX);
        break;
      case "t":
        o.ttl = integerArg(value, 0n, 255n);
        break;
      case "s":
        o.size = integerArg(value, 0n, INT_MAX);
        break;
      case "M":
        if (value !== "do" && value !== "want" && value !== "dont") fail(`ping: invalid -M argument: ${value}`, 2);
        o.pmtuDisc = value;
        break;
      case "q":
        o.quiet = true;
        break;
      case "a":
        o.audible = true;
        break;
      // Options that change nothing cnlab shows: names are never looked up (-n), there is
      // only IPv4 (-4), the source address never changes under a ping (-B), the socket is
      // connected either way (-C), SO_DEBUG and SO_SNDBUF leave no trace (-d, -S), no
      // multicast is pinged (-L), and the simulator's clock has one notion of time (-U).
      case "n":
      case "B":
      case "C":
      case "d":
      case "L":
      case "U":
        break;
      case "S":
        integerArg(value, 1n, INT_MAX);
        break;
      case "l":
        // One probe in flight at the start is iputils' default; more is not modelled.
        if (integerArg(value, 1n, 65536n) > 1) skip(`ping -l ${value}`);
        break;
      case "e":
        integerArg(value, 0n, 65535n, true);
        skip("ping -e");
        break;
      case "m":
        integerArg(value, 0n, 4294967295n, true);
        skip("ping -m");
        break;
      case "Q":
        checkTos(value);
        skip("ping -Q");
        break;
      case "R":
        if (timestamps) fail("ping: only one of -T or -R may be used", 2);
        recordRoute = true;
        skip("ping -R");
        break;
      case "T":
        if (recordRoute) fail("ping: only one of -T or -R may be used", 2);
        if (value !== "tsonly" && value !== "tsandaddr" && value !== "tsprespec") fail(`ping: invalid timestamp type: ${value}`, 2);
        timestamps = true;
        skip("ping -T");
        break;
      case "p":
        pattern = value;
        skip("ping -p");
        break;
      default:
        // -A -b -D -f -F -I -N -O -r -v: real options the simulator does not model.
        skip(`ping -${flag}`);
    }
  };

  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      targets.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith("-") || a === "-") {
      targets.push(a);
      continue;
    }
    // getopt: letters one after another; a letter that takes a value takes the rest of the word, or the next word.
    for (let j = 1; j < a.length; j++) {
      const flag = a[j]!;
      if (WITH_VALUE.includes(flag)) {
        const value = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
        if (value === undefined) fail(`ping: option requires an argument -- '${flag}'\n${USAGE}`, 2);
        option(flag, value);
        break;
      }
      if (!FLAGS.includes(flag)) fail(`ping: invalid option -- '${flag}'\n${USAGE}`, 2);
      option(flag, "");
    }
  }
  if (targets.length === 0) fail("ping: usage error: Destination address required", 1);
  o.target = targets[targets.length - 1]!;
  // What iputils checks after the options, in its order: the -p pattern, then the address family.
  if (pattern !== null) {
    const bad = /[^0-9a-fA-F]/.exec(pattern);
    if (bad !== null) fail(`ping: patterns must be specified as hex digits: ${pattern.slice(bad.index)}`, 2);
  }
  if (family === 6) {
    if (o.target !== "localhost" && resolveHost(o.target) !== null) fail(`ping: ${o.target}: Address family for hostname not supported`, 2);
    skip("ping -6");
  }
  if (unsimulated !== null) notSimulated(unsimulated);
  return o;
}
