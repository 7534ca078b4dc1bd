/**
 * sysctl for the namespace's kernel settings the labs use: net.ipv4.ip_forward
 * (per namespace, as in Linux: Docker turns it on in the host's) and
 * net.bridge.bridge-nf-call-iptables (whether bridged frames pass iptables). Reading and
 * `-w key=value` writing, with procps' messages for unknown keys and values;
 * -n (values only), -N (names only), -q (silent writes), -e (skip unknown keys).
 * procps' other options say they are not simulated.
 */
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";

interface Setting {
  get(ctx: CommandContext): string;
  set(ctx: CommandContext, value: string): void;
}

const SETTINGS: Record<string, Setting> = {
  "net.ipv4.ip_forward": {
    get: (ctx) => (ctx.ns.forwarding ? "1" : "0"),
    set: (ctx, value) => {
      ctx.ns.forwarding = value !== "0";
    },
  },
  // Per namespace since Linux 5.3, as br_netfilter (loaded by the Docker daemon) provides it.
  "net.bridge.bridge-nf-call-iptables": {
    get: (ctx) => (ctx.ns.bridgeNfCallIptables ? "1" : "0"),
    set: (ctx, value) => {
      ctx.ns.bridgeNfCallIptables = value !== "0";
    },
  },
};

const normalise = (key: string) => key.replaceAll("/", ".");

/** procps-ng 4.0.2's long options, by the letter they stand for; "" for those with no letter. */
const LONG: Record<string, string> = {
  "--all": "a", "--write": "w", "--values": "n", "--names": "N", "--quiet": "q", "--ignore": "e",
  "--binary": "b", "--load": "p", "--pattern": "r", "--help": "h", "--version": "V", "--system": "", "--deprecated": "", "--dry-run": "",
};

export const sysctlCommand: CommandHandler = (argv, ctx) => {
  let write = false;
  let valuesOnly = false;
  let namesOnly = false;
  let quiet = false;
  let ignoreUnknown = false;
  const args: string[] = [];
  for (const a of argv) {
    if (!a.startsWith("-") || a === "-") {
      args.push(a);
      continue;
    }
    const long = a.startsWith("--") ? LONG[a.replace(/=.*/, "")] : undefined;
    if (a.startsWith("--") && long === undefined) fail(`sysctl: unrecognized option '${a}'\nUsage:\n sysctl [options] [variable[=value] ...]`, 1);
    if (long === "") notSimulated(`sysctl ${a.replace(/=.*/, "")}`);
    for (const c of long ?? a.slice(1)) {
      if (c === "w") write = true;
      else if (c === "a" || c === "A" || c === "X") args.push(...Object.keys(SETTINGS));
      else if (c === "n") valuesOnly = true;
      else if (c === "N") namesOnly = true;
      else if (c === "q") quiet = true;
      else if (c === "e") ignoreUnknown = true;
      // procps: "does nothing".
      else if (c === "o" || c === "x") continue;
      else if (c === "V") {
        ctx.out.push("sysctl from procps-ng 4.0.2");
        return 0;
      } else if ("bpfrdh".includes(c)) notSimulated(`sysctl ${long !== undefined ? a.replace(/=.*/, "") : `-${c}`}`);
      else fail(`sysctl: invalid option -- '${c}'\nUsage:\n sysctl [options] [variable[=value] ...]`, 1);
    }
  }
  if (args.length === 0) fail("sysctl: no variables specified\nTry `sysctl --help' for more information.", 1);
  // Validate everything first: a bad key or value changes nothing.
  const plan = args.map((a) => {
    const eq = a.indexOf("=");
    const key = normalise(eq < 0 ? a : a.slice(0, eq));
    const value = eq < 0 ? null : a.slice(eq + 1).trim();
    const setting = SETTINGS[key];
    if (setting === undefined && ignoreUnknown) return null;
    if (setting === undefined) fail(`sysctl: cannot stat /proc/sys/${key.replaceAll(".", "/")}: No such file or directory`, 255);
    if (value !== null && !write && eq >= 0) fail(`sysctl: "${a}" must be of the form name=value with -w`, 255);
    if (value !== null && !/^[01]$/.test(value)) fail(`sysctl: setting key "${key}": Invalid argument`, 255);
    return { key, value, setting };
  });
  for (const p of plan) {
    if (p === null) continue;
    if (p.value !== null) {
      p.setting.set(ctx, p.value);
      if (!quiet) ctx.out.push(valuesOnly ? p.setting.get(ctx) : `${p.key} = ${p.setting.get(ctx)}`);
    } else ctx.out.push(namesOnly ? p.key : valuesOnly ? p.setting.get(ctx) : `${p.key} = ${p.setting.get(ctx)}`);
  }
  return 0;
};
