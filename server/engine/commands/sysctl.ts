/**
 * sysctl for the namespace's kernel settings the labs use: net.ipv4.ip_forward
 * (per namespace, as in Linux: Docker turns it on in the host's),
 * net.bridge.bridge-nf-call-iptables (whether bridged frames pass iptables),
 * and the per-interface net.ipv4.conf.{all,default,DEV}.{proxy_arp,rp_filter,
 * forwarding,accept_local,arp_announce}. proxy_arp makes the device answer ARP
 * for addresses routed elsewhere (stack/arp.ts); rp_filter and accept_local
 * decide which sources are martians (stack/source-validation.ts); arp_announce
 * picks the address an ARP request tells (stack/arp.ts). conf.all.forwarding is
 * ip_forward under another name, and a new value of it is every device's and
 * default's too; a device's own forwarding decides for what comes in on it
 * (stack/namespace.ts, stack/ipv4.ts).
 * Reading and `-w key=value` writing, with procps' messages for unknown keys
 * and values; -n (values only), -N (names only), -q (silent writes), -e (skip
 * unknown keys). procps' other options say they are not simulated.
 */
import type { Device } from "../link/device.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";

interface Setting {
  get(ctx: CommandContext): string;
  set(ctx: CommandContext, value: string): void;
  /** The values the simulator takes. */
  readonly valid: RegExp;
}

const BOOLEAN = /^[01]$/;

const SETTINGS: Record<string, Setting> = {
  "net.ipv4.ip_forward": {
    get: (ctx) => (ctx.ns.forwarding ? "1" : "0"),
    set: (ctx, value) => {
      ctx.ns.forwarding = value !== "0";
    },
    valid: BOOLEAN,
  },
  // Per namespace since Linux 5.3, as br_netfilter (loaded by the Docker daemon) provides it.
  "net.bridge.bridge-nf-call-iptables": {
    get: (ctx) => (ctx.ns.bridgeNfCallIptables ? "1" : "0"),
    set: (ctx, value) => {
      ctx.ns.bridgeNfCallIptables = value !== "0";
    },
    valid: BOOLEAN,
  },
};

/** The per-interface keys, as they sort in /proc/sys/net/ipv4/conf/X. */
const CONF_KEYS = ["accept_local", "arp_announce", "forwarding", "proxy_arp", "rp_filter"] as const;
type ConfKey = (typeof CONF_KEYS)[number];
type ConfField = "proxyArp" | "rpFilter" | "acceptLocal" | "arpAnnounce";
const FIELD: Record<Exclude<ConfKey, "forwarding">, ConfField> = { accept_local: "acceptLocal", arp_announce: "arpAnnounce", proxy_arp: "proxyArp", rp_filter: "rpFilter" };
/** proc_dointvec: any integer (the kernel reads rp_filter 1 as strict, anything larger as loose). */
const INTEGER = /^-?\d+$/;
const RANGE: Record<ConfKey, RegExp> = { accept_local: INTEGER, arp_announce: INTEGER, forwarding: BOOLEAN, proxy_arp: INTEGER, rp_filter: INTEGER };

function devField(dev: Device, field: ConfField): number {
  return field === "proxyArp" ? (dev.proxyArp ? 1 : 0) : dev[field];
}

function setDevField(dev: Device, field: ConfField, value: number): void {
  if (field === "proxyArp") dev.proxyArp = value !== 0;
  else dev[field] = value;
}

/** net.ipv4.conf.<scope>.<key>: "all", "default" or a device of the namespace. */
function confSetting(ctx: CommandContext, scope: string, key: ConfKey): Setting | undefined {
  const valid = RANGE[key];
  if (key === "forwarding") {
    if (scope === "all") return { ...SETTINGS["net.ipv4.ip_forward"]!, valid };
    if (scope === "default") return { get: (c) => (c.ns.defaultForwarding ? "1" : "0"), set: (c, v) => void (c.ns.defaultForwarding = v !== "0"), valid };
    const dev = ctx.ns.devices.get(scope);
    if (dev === undefined) return undefined;
    return { get: () => (dev.forwarding ? "1" : "0"), set: (_, v) => void (dev.forwarding = v !== "0"), valid };
  }
  const field = FIELD[key];
  if (scope === "all" || scope === "default") {
    const conf = ctx.ns.ipv4Conf[scope];
    return { get: () => String(conf[field]), set: (_, v) => void (conf[field] = Number(v)), valid };
  }
  const dev = ctx.ns.devices.get(scope);
  if (dev === undefined) return undefined;
  return { get: () => String(devField(dev, field)), set: (_, v) => setDevField(dev, field, Number(v)), valid };
}

function lookup(ctx: CommandContext, key: string): Setting | undefined {
  const fixed = SETTINGS[key];
  if (fixed !== undefined) return fixed;
  const m = /^net\.ipv4\.conf\.([^.]+)\.([a-z_]+)$/.exec(key);
  if (m === null || !(CONF_KEYS as readonly string[]).includes(m[2]!)) return undefined;
  return confSetting(ctx, m[1]!, m[2] as ConfKey);
}

/** Every key -a lists, in sysctl's (sorted) order. */
function allKeys(ctx: CommandContext): string[] {
  const scopes = ["all", "default", ...ctx.ns.deviceList().map((d) => d.name).sort()];
  const conf = scopes.flatMap((s) => CONF_KEYS.map((k) => `net.ipv4.conf.${s}.${k}`));
  return [...Object.keys(SETTINGS), ...conf].sort();
}

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
      else if (c === "a" || c === "A" || c === "X") args.push(...allKeys(ctx));
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
    const setting = lookup(ctx, key);
    if (setting === undefined && ignoreUnknown) return null;
    if (setting === undefined) fail(`sysctl: cannot stat /proc/sys/${key.replaceAll(".", "/")}: No such file or directory`, 255);
    if (value !== null && !write && eq >= 0) fail(`sysctl: "${a}" must be of the form name=value with -w`, 255);
    if (value !== null && !setting!.valid.test(value)) fail(`sysctl: setting key "${key}": Invalid argument`, 255);
    return { key, value, setting: setting! };
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
