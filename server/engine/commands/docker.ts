/**
 * The docker CLI for what the chapter does: run (-d, --name, --net/--network
 * bridge|host|none), ps [-a] [-q], exec, logs, stop, start, rm [-f] and
 * inspect. Messages and exit codes follow the Docker CLI (125 for errors from
 * `docker run` itself). Publishing ports (-p) needs NAT and arrives with it.
 */
import { containerAddress, removeContainer, runContainer, startProcesses, stopProcesses } from "../topology/containers.js";
import { resolveImage } from "../topology/images.js";
import type { Container, ContainerNetwork, SimHost } from "../topology/network.js";
import { fail, type CommandContext, type CommandHandler } from "./command-context.js";

const SECOND = 1_000_000;
const ADJECTIVES = ["admiring", "brave", "clever", "eager", "focused", "gifted", "jolly", "keen", "loving", "quirky"];
const SURNAMES = ["turing", "hopper", "lovelace", "torvalds", "ritchie", "thompson", "kernighan", "cerf", "kahn", "perlman"];

/** go-units HumanDuration, which docker ps uses for CREATED and STATUS. */
export function humanDuration(us: number): string {
  const s = us / SECOND;
  if (s < 1) return "Less than a second";
  if (s < 60) return `${Math.floor(s)} seconds`;
  const minutes = Math.round(s / 60);
  if (minutes === 1) return "About a minute";
  if (minutes < 60) return `${minutes} minutes`;
  const hours = Math.round(s / 3600);
  if (hours === 1) return "About an hour";
  if (hours < 48) return `${hours} hours`;
  if (hours < 24 * 7 * 2) return `${Math.floor(hours / 24)} days`;
  return `${Math.floor(hours / 24 / 7)} weeks`;
}

function noSuch(name: string): never {
  fail(`Error response from daemon: No such container: ${name}`, 1);
}

function find(host: SimHost, name: string): Container {
  return host.container(name) ?? noSuch(name);
}

function run(argv: string[], ctx: CommandContext): number {
  let detach = false;
  let name: string | null = null;
  let network: ContainerNetwork = "bridge";
  const publish: string[] = [];
  let i = 0;
  const usage = (msg: string): never => fail(`docker: ${msg}\nSee 'docker run --help'.`, 125);
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith("-")) break;
    const [flag, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? usage(`flag needs an argument: ${flag}`);
    if (flag === "-d" || flag === "--detach") detach = true;
    else if (/^-[dit]+$/.test(flag)) detach ||= flag.includes("d");
    else if (flag === "--rm" || flag === "-i" || flag === "-t" || flag === "--interactive" || flag === "--tty") continue;
    else if (flag === "--name") name = value();
    else if (flag === "--net" || flag === "--network") {
      const v = value();
      if (v !== "bridge" && v !== "host" && v !== "none" && v !== "default") fail(`docker: Error response from daemon: network ${v} not found.\nSee 'docker run --help'.`, 125);
      network = v === "default" ? "bridge" : v;
    } else if (flag === "-p" || flag === "--publish") {
      publish.push(value());
    } else usage(`unknown flag: ${flag}`);
  }
  const image = argv[i];
  if (image === undefined) return usage(`'docker run' requires at least 1 argument.\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image`);
  const resolved = resolveImage(image);
  if (resolved.spec === undefined) {
    fail(
      `Unable to find image '${resolved.name}:${resolved.tag}' locally\ndocker: Error response from daemon: pull access denied for ${resolved.name}, repository does not exist or may require 'docker login': denied: requested access to the resource is denied.\nSee 'docker run --help'.`,
      125,
    );
  }
  if (name !== null && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) fail(`docker: Error response from daemon: Invalid container name (${name}), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed.\nSee 'docker run --help'.`, 125);
  const host = ctx.host;
  const containerName = name ?? pickName(ctx);
  const c = runContainer(host, { name: containerName, image, network, publish: network === "bridge" ? publish : [] });
  if ("kind" in c) {
    switch (c.kind) {
      case "name-in-use":
        fail(`docker: Error response from daemon: Conflict. The container name "/${containerName}" is already in use by container "${c.id}". You have to remove (or rename) that container to be able to reuse that name.\nSee 'docker run --help'.`, 125);
      case "no-bridge":
        fail("docker: Error response from daemon: network bridge not found: this host has no docker0 bridge.\nSee 'docker run --help'.", 125);
      case "pool-exhausted":
        fail("docker: Error response from daemon: no available IPv4 addresses on this network's address pools: bridge.\nSee 'docker run --help'.", 125);
      case "bad-publish":
        fail(`docker: ${c.message}.\nSee 'docker run --help'.`, 125);
      case "port-allocated":
        fail(`docker: Error response from daemon: driver failed programming external connectivity on endpoint ${containerName}: Bind for 0.0.0.0:${c.port} failed: port is already allocated.\nSee 'docker run --help'.`, 125);
    }
  }
  if (network === "host" && publish.length > 0) ctx.out.push("WARNING: Published ports are discarded when using host network mode");
  if (detach) {
    ctx.out.push(c.id);
    return 0;
  }
  // Attached: the process's output is the terminal's; a daemon keeps it busy, so cnlab detaches it.
  ctx.out.push(...c.logs);
  if (!c.running) return c.exitCode;
  ctx.out.push(`cnlab: ${containerName} keeps running in the foreground; this terminal detaches from it (as with -d).`);
  return 0;
}

function pickName(ctx: CommandContext): string {
  for (;;) {
    const n = `${ADJECTIVES[ctx.net.random.int(0, ADJECTIVES.length - 1)]!}_${SURNAMES[ctx.net.random.int(0, SURNAMES.length - 1)]!}`;
    if (!ctx.host.containers.has(n)) return n;
  }
}

/** Columns as Docker's tabwriter lays them out: each as wide as its widest cell, three spaces apart. */
function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => (col === r.length - 1 ? cell : cell.padEnd(widths[col]! + 3))).join(""));
}

function ps(argv: string[], ctx: CommandContext): number {
  let all = false;
  let quiet = false;
  for (const a of argv) {
    if (a === "-a" || a === "--all") all = true;
    else if (a === "-q" || a === "--quiet") quiet = true;
    else if (a === "-aq" || a === "-qa") all = quiet = true;
    else fail(`unknown flag: ${a}\nSee 'docker ps --help'.`, 125);
  }
  const now = ctx.net.scheduler.now;
  const list = [...ctx.host.containers.values()].filter((c) => all || c.running).sort((a, b) => b.created - a.created);
  if (quiet) {
    ctx.out.push(...list.map((c) => c.id.slice(0, 12)));
    return 0;
  }
  const rows = [["CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES"]];
  for (const c of list) {
    const image = resolveImage(c.image).spec;
    const published = new Set(c.published.map((p) => `${p.containerPort}/${p.protocol === 6 ? "tcp" : "udp"}`));
    const exposed = (image?.listen ?? []).map((l) => l.split("/").reverse().join("/")).filter((l) => !published.has(l));
    const ports = !c.running || c.network !== "bridge" ? "" : [...c.published.map((p) => `0.0.0.0:${p.hostPort}->${p.containerPort}/${p.protocol === 6 ? "tcp" : "udp"}`), ...exposed].join(", ");
    const status = c.running ? `Up ${humanDuration(now - c.created)}` : `Exited (${c.exitCode}) ${humanDuration(now - c.finished)} ago`;
    rows.push([c.id.slice(0, 12), c.image, c.command, `${humanDuration(now - c.created)} ago`, status, ports, c.name]);
  }
  ctx.out.push(...table(rows));
  return 0;
}

function exec(argv: string[], ctx: CommandContext): number {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith("-")) i++;
  const name = argv[i];
  const cmd = argv.slice(i + 1);
  if (name === undefined || cmd.length === 0) fail(`"docker exec" requires at least 2 arguments.\nSee 'docker exec --help'.\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container`, 1);
  const c = find(ctx.host, name);
  if (!c.running) fail(`Error response from daemon: container ${c.id} is not running`, 1);
  if (["bash", "/bin/bash", "sh", "/bin/sh"].includes(cmd[0]!) && cmd.length === 1) {
    ctx.out.push(`cnlab: interactive shells are not simulated. Type commands as 'docker exec ${c.name} <command>', or open a terminal in namespace ${c.namespace}.`);
    return 0;
  }
  return ctx.exec(ctx.host.namespaces.get(c.namespace)!, cmd);
}

function rm(argv: string[], ctx: CommandContext): number {
  const force = argv.includes("-f") || argv.includes("--force");
  const names = argv.filter((a) => !a.startsWith("-"));
  if (names.length === 0) fail(`"docker rm" requires at least 1 argument.\nSee 'docker rm --help'.\n\nUsage:  docker rm [OPTIONS] CONTAINER [CONTAINER...]\n\nRemove one or more containers`, 1);
  let code = 0;
  for (const n of names) {
    const c = ctx.host.container(n);
    if (c === undefined) {
      ctx.out.push(`Error response from daemon: No such container: ${n}`);
      code = 1;
    } else if (c.running && !force) {
      ctx.out.push(`Error response from daemon: cannot remove container "/${c.name}": container is running: stop the container before removing or force remove`);
      code = 1;
    } else {
      removeContainer(ctx.host, c);
      ctx.out.push(n);
    }
  }
  return code;
}

function stopStart(argv: string[], ctx: CommandContext, start: boolean): number {
  const names = argv.filter((a) => !a.startsWith("-"));
  if (names.length === 0) fail(`"docker ${start ? "start" : "stop"}" requires at least 1 argument.`, 1);
  for (const n of names) find(ctx.host, n);
  for (const n of names) {
    const c = find(ctx.host, n);
    if (start && !c.running) {
      c.running = true;
      c.logs = [];
      const image = resolveImage(c.image).spec;
      if (!startProcesses(ctx.host, c, image, image?.listen ?? [])) {
        ctx.out.push(`Error response from daemon: container ${c.id.slice(0, 12)} exited: ${c.logs[0] ?? "failed"}`);
        return 1;
      }
    } else if (!start && c.running) {
      stopProcesses(ctx.host, c);
      c.exitCode = 0;
      c.finished = ctx.net.scheduler.now;
    }
    ctx.out.push(n);
  }
  return 0;
}

function inspect(argv: string[], ctx: CommandContext): number {
  let format: string | null = null;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-f" || a === "--format") format = argv[++i] ?? fail("flag needs an argument: --format", 125);
    else if (a.startsWith("--format=")) format = a.slice(9);
    else names.push(a);
  }
  if (names.length === 0) fail(`"docker inspect" requires at least 1 argument.`, 1);
  for (const n of names) {
    const c = find(ctx.host, n);
    const gateway = c.network === "bridge" ? (ctx.host.root.device(ctx.host.dockerBridge ?? "")?.addresses[0]?.address ?? null) : null;
    const mac = c.network === "bridge" ? (ctx.host.namespaces.get(c.namespace)?.device("eth0")?.mac ?? "") : "";
    const fields: Record<string, string> = {
      ".Id": c.id,
      ".Name": `/${c.name}`,
      ".NetworkSettings.IPAddress": containerAddress(c),
      ".NetworkSettings.MacAddress": mac,
      ".NetworkSettings.Gateway": gateway === null ? "" : [gateway >>> 24, (gateway >>> 16) & 255, (gateway >>> 8) & 255, gateway & 255].join("."),
      ".HostConfig.NetworkMode": c.network === "bridge" ? "bridge" : c.network,
      ".State.Status": c.running ? "running" : "exited",
    };
    if (format !== null) {
      const t = /^\{\{\s*(\.[A-Za-z.]+)\s*\}\}$/.exec(format.trim());
      const value = t === null ? undefined : fields[t[1]!];
      if (value === undefined) fail(`template parsing error: cnlab's docker inspect supports {{${Object.keys(fields).join("}}, {{")}}}`, 1);
      ctx.out.push(value);
    } else {
      ctx.out.push(
        ...JSON.stringify(
          [
            {
              Id: c.id,
              Name: `/${c.name}`,
              Image: c.image,
              State: { Status: fields[".State.Status"], Running: c.running, ExitCode: c.exitCode },
              HostConfig: { NetworkMode: fields[".HostConfig.NetworkMode"] },
              NetworkSettings: { IPAddress: fields[".NetworkSettings.IPAddress"], MacAddress: mac, Gateway: fields[".NetworkSettings.Gateway"], IPPrefixLen: c.address === null ? 0 : 16 },
            },
          ],
          null,
          4,
        ).split("\n"),
      );
    }
  }
  return 0;
}

export const dockerCommand: CommandHandler = (argv, ctx) => {
  const [sub, ...rest] = argv;
  switch (sub) {
    case "run":
      return run(rest, ctx);
    case "ps":
      return ps(rest, ctx);
    case "container":
      if (rest[0] === "ls") return ps(rest.slice(1), ctx);
      break;
    case "exec":
      return exec(rest, ctx);
    case "rm":
      return rm(rest, ctx);
    case "stop":
      return stopStart(rest, ctx, false);
    case "start":
      return stopStart(rest, ctx, true);
    case "logs": {
      const c = find(ctx.host, rest.filter((a) => !a.startsWith("-"))[0] ?? noSuch(""));
      ctx.out.push(...c.logs);
      return 0;
    }
    case "inspect":
      return inspect(rest, ctx);
    case undefined:
      fail("Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers", 0);
  }
  fail(`docker: '${sub}' is not a docker command.\nSee 'docker --help'`, 1);
};
