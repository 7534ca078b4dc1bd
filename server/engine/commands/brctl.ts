/**
 * `brctl` (bridge-utils 1.7): show bridges and their learnt MACs, create and
 * delete bridges, add and remove ports. STP, priorities and timers are not
 * simulated (Docker leaves STP off).
 *
 * `brctl show` lists bridges and each bridge's ports in name order (it reads
 * /sys/class/net and brif/ with alphasort); `showmacs` lists the forwarding
 * table sorted by MAC, without the bridge's own address (it has no port),
 * with learnt entries' idle time and 0.00 for local ones.
 */
import { Bridge } from "../link/bridge.js";
import type { Device } from "../link/device.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";
import { masterBridge, portNumber } from "./bridge-port.js";
import { notSimulated } from "./not-simulated.js";
import { limitReached } from "./object-limit.js";

interface BrctlCommand {
  name: string;
  /** Minimum number of arguments, as bridge-utils checks. */
  args: number;
  help: string;
  run?: (args: string[], ctx: CommandContext) => number;
}

const COMMANDS: BrctlCommand[] = [
  { name: "addbr", args: 1, help: "<bridge>\t\tadd bridge", run: addbr },
  { name: "delbr", args: 1, help: "<bridge>\t\tdelete bridge", run: delbr },
  { name: "addif", args: 2, help: "<bridge> <device>\tadd interface to bridge", run: addif },
  { name: "delif", args: 2, help: "<bridge> <device>\tdelete interface from bridge", run: delif },
  { name: "hairpin", args: 3, help: "<bridge> <port> {on|off}\tturn hairpin on/off", run: hairpin },
  { name: "setageing", args: 2, help: "<bridge> <time>\t\tset ageing time" },
  { name: "setbridgeprio", args: 2, help: "<bridge> <prio>\t\tset bridge priority" },
  { name: "setfd", args: 2, help: "<bridge> <time>\t\tset bridge forward delay" },
  { name: "sethello", args: 2, help: "<bridge> <time>\t\tset hello time" },
  { name: "setmaxage", args: 2, help: "<bridge> <time>\t\tset max message age" },
  { name: "setpathcost", args: 3, help: "<bridge> <port> <cost>\tset path cost" },
  { name: "setportprio", args: 3, help: "<bridge> <port> <prio>\tset port priority" },
  { name: "show", args: 0, help: "[ <bridge> ]\t\tshow a list of bridges", run: show },
  { name: "showmacs", args: 1, help: "<bridge>\t\tshow a list of mac addrs", run: showmacs },
  { name: "showstp", args: 1, help: "<bridge>\t\tshow bridge stp info" },
  { name: "stp", args: 2, help: "<bridge> {on|off}\tturn stp on/off" },
];

const USAGE = ["Usage: brctl [commands]", "commands:", ...COMMANDS.map((c) => `\t${c.name.padEnd(10)}\t${c.help}`)].join("\n");

function bridgeNamed(ctx: CommandContext, name: string): Bridge | undefined {
  const dev = ctx.ns.device(name);
  return dev instanceof Bridge ? dev : undefined;
}

function addbr([name]: string[], ctx: CommandContext): number {
  if (ctx.ns.device(name!) !== undefined) fail(`device ${name} already exists; can't create bridge with the same name`, 1);
  const full = ctx.net.quota.check({ devices: 1 });
  if (full !== null) limitReached(full, 1);
  ctx.ns.attach(new Bridge(ctx.net.ctx, ctx.ns, ctx.ns.allocIfindex(), name!, ctx.net.random.mac()));
  return 0;
}

function delbr([name]: string[], ctx: CommandContext): number {
  const br = bridgeNamed(ctx, name!);
  if (br === undefined) fail(`bridge ${name} doesn't exist; can't delete it`, 1);
  if (br.adminUp) fail(`bridge ${name} is still up; can't delete it`, 1);
  for (const port of [...br.ports]) br.release(port);
  ctx.ns.detach(br);
  return 0;
}

/** The ENODEV message: bridge-utils blames the interface if it is missing, else the bridge. */
function missing(ctx: CommandContext, brName: string, ifName: string, br: Bridge | undefined, dev: Device | undefined): void {
  if (dev === undefined) fail(`interface ${ifName} does not exist!`, 1);
  if (br === undefined) {
    if (ctx.ns.device(brName) !== undefined) fail(`can't add ${ifName} to bridge ${brName}: Operation not supported`, 1);
    fail(`bridge ${brName} does not exist!`, 1);
  }
}

function addif([brName, ...ifNames]: string[], ctx: CommandContext): number {
  const br = bridgeNamed(ctx, brName!);
  // bridge-utils adds the interfaces one by one and stops at the first failure; check all first so a failure changes nothing.
  const ports = ifNames.map((ifName) => {
    const dev = ctx.ns.device(ifName);
    missing(ctx, brName!, ifName, br, dev);
    if (dev instanceof Bridge) fail(`device ${ifName} is a bridge device itself; can't add it to bridge ${brName}.`, 1);
    if (dev!.master !== null) fail(`device ${ifName} is already a member of a bridge; can't add it to bridge ${brName}.`, 1);
    if (dev!.kind === "loopback") fail(`can't add ${ifName} to bridge ${brName}: Invalid argument`, 1);
    return dev!;
  });
  for (const port of ports) br!.enslave(port);
  return 0;
}

function delif([brName, ...ifNames]: string[], ctx: CommandContext): number {
  const br = bridgeNamed(ctx, brName!);
  const ports = ifNames.map((ifName) => {
    const dev = ctx.ns.device(ifName);
    missing(ctx, brName!, ifName, br, dev);
    if (masterBridge(dev!) !== br) fail(`device ${ifName} is not a port of ${brName}`, 1);
    return dev!;
  });
  for (const port of ports) br!.release(port);
  return 0;
}

/** br_cmd_hairpin: the mode word first, then the port, then the bridge; a port of another bridge has no brport/hairpin_mode file. */
function hairpin([brName, ifName, mode]: string[], ctx: CommandContext): number {
  const on = ["on", "yes", "1"].includes(mode!);
  if (!on && !["off", "no", "0"].includes(mode!)) fail("expect on/off for argument", 1);
  const dev = ctx.ns.device(ifName!);
  if (dev === undefined) fail(`interface ${ifName} does not exist!`, 1);
  const br = ctx.ns.device(brName!);
  if (br === undefined) fail(`bridge ${brName} does not exist!`, 1);
  if (!(br instanceof Bridge) || masterBridge(dev) !== br) fail(`can't set ${ifName} to hairpin on bridge ${brName}: No such file or directory`, 1);
  br.setHairpin(dev, on);
  return 0;
}

const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function bridgeBlock(br: Bridge): string[] {
  const ports = [...br.ports].sort(byName).map((p) => p.name);
  const [first = "", ...more] = ports;
  return [`${br.name}\t\t${br.bridgeId}\tno\t\t${first}`, ...more.map((p) => `\t\t\t\t\t\t\t${p}`)];
}

function show(names: string[], ctx: CommandContext): number {
  const header = "bridge name\tbridge id\t\tSTP enabled\tinterfaces";
  if (names.length === 0) {
    ctx.out.push(header);
    for (const br of ctx.ns.deviceList().filter((d): d is Bridge => d instanceof Bridge).sort(byName)) ctx.out.push(...bridgeBlock(br));
    return 0;
  }
  let headed = false;
  for (const name of names) {
    const br = bridgeNamed(ctx, name);
    if (br === undefined) fail(`bridge ${name} does not exist!`, 1);
    if (!headed) ctx.out.push(header);
    headed = true;
    ctx.out.push(...bridgeBlock(br));
  }
  return 0;
}

/** br_show_timer: "%4i.%.2i", seconds and truncated hundredths. */
function ageingTimer(micros: number): string {
  const centis = Math.floor(micros / 10_000);
  return `${String(Math.floor(centis / 100)).padStart(4)}.${String(centis % 100).padStart(2, "0")}`;
}

function showmacs([name]: string[], ctx: CommandContext): number {
  const br = bridgeNamed(ctx, name!);
  if (br === undefined) fail("read of forward table failed: No such device", 1);
  const now = ctx.net.scheduler.now;
  const rows = br.fdb
    .list()
    .filter((e) => e.port !== br.name && (e.local || br.ageingTime === 0 || now - e.updated < br.ageingTime))
    .sort((a, b) => (a.mac < b.mac ? -1 : a.mac > b.mac ? 1 : 0));
  ctx.out.push("port no\tmac addr\t\tis local?\tageing timer");
  for (const e of rows) {
    const port = br.ports.find((p) => p.name === e.port);
    if (port === undefined) continue;
    ctx.out.push(`${String(portNumber(br, port)).padStart(3)}\t${e.mac}\t${e.local ? "yes" : "no"}\t\t${ageingTimer(e.local ? 0 : now - e.updated)}`);
  }
  return 0;
}

export const brctlCommand: CommandHandler = (argv, ctx) => {
  const [first, ...args] = argv;
  if (first === undefined || first === "-h" || first === "--help") fail(USAGE, 1);
  if (first === "-V" || first === "--version") {
    ctx.out.push("bridge-utils, 1.7");
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.name === first);
  if (cmd === undefined) fail(`never heard of command [${first}]\n${USAGE}`, 1);
  if (args.length < cmd.args) fail(`Incorrect number of arguments for command\nUsage: brctl ${cmd.name} ${cmd.help}`, 1);
  if (cmd.run === undefined) notSimulated(`brctl ${cmd.name}`);
  return cmd.run(args, ctx);
};
