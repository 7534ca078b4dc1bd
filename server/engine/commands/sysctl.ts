/**
 * sysctl for the namespace's kernel settings the labs use: net.ipv4.ip_forward
 * (per namespace, as in Linux: Docker turns it on in the host's) and
 * net.bridge.bridge-nf-call-iptables (whether bridged frames pass iptables). Reading and
 * `-w key=value` writing, with procps' messages for unknown keys and values.
 */
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";

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

export const sysctlCommand: CommandHandler = (argv, ctx) => {
  let write = false;
  const args: string[] = [];
  for (const a of argv) {
    if (a === "-w") write = true;
    else if (a === "-a" || a === "--all") args.push(...Object.keys(SETTINGS));
    else if (a.startsWith("-")) fail(`sysctl: invalid option -- '${a.slice(1)}'\nUsage:\n sysctl [options] [variable[=value] ...]`, 1);
    else args.push(a);
  }
  if (args.length === 0) fail("sysctl: no variables specified\nTry `sysctl --help' for more information.", 1);
  // Validate everything first: a bad key or value changes nothing.
  const plan = args.map((a) => {
    const eq = a.indexOf("=");
    const key = normalise(eq < 0 ? a : a.slice(0, eq));
    const value = eq < 0 ? null : a.slice(eq + 1).trim();
    const setting = SETTINGS[key];
    if (setting === undefined) fail(`sysctl: cannot stat /proc/sys/${key.replaceAll(".", "/")}: No such file or directory`, 255);
    if (value !== null && !write && eq >= 0) fail(`sysctl: "${a}" must be of the form name=value with -w`, 255);
    if (value !== null && !/^[01]$/.test(value)) fail(`sysctl: setting key "${key}": Invalid argument`, 255);
    return { key, value, setting };
  });
  for (const p of plan) {
    if (p.value !== null) p.setting.set(ctx, p.value);
    ctx.out.push(`${p.key} = ${p.setting.get(ctx)}`);
  }
  return 0;
};
