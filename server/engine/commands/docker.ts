/**
 * The docker CLI for what the chapter does: run (-d, --name, -p, --net/--network
 * bridge|host|none), ps [-a] [-q], exec, logs, stop, start, rm [-f] and
 * inspect, also under their `docker container` names. Messages and exit codes
 * follow the Docker CLI (125 for errors from `docker run` itself and for flag
 * errors). The CLI's other commands, subcommands and flags (docker network ls,
 * docker images, docker run -e …) answer that cnlab does not simulate them;
 * only names the CLI lacks get its "not a docker command" or "unknown flag".
 */
import { containerAddress, removeContainer, runContainer, startProcesses, stopProcesses } from "../topology/containers.js";
import { resolveImage } from "../topology/images.js";
import type { Container, ContainerNetwork, SimHost } from "../topology/network.js";
import { fail, type CommandContext, type CommandHandler, type ExitStatus } from "./command-context.js";
import { limitReached } from "./object-limit.js";
import { flag, readFlags, type FlagSpec } from "./docker-flags.js";
import { notSimulated } from "./not-simulated.js";

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

/** The Docker CLI's flags of `docker run` and `docker create`, less those cnlab simulates. */
const RUN_REAL_FLAGS = (
  "--add-host --annotation -a --attach --blkio-weight --blkio-weight-device --cap-add --cap-drop --cgroup-parent --cgroupns " +
  "--cidfile --cpu-count --cpu-percent --cpu-period --cpu-quota --cpu-rt-period --cpu-rt-runtime -c --cpu-shares --cpus " +
  "--cpuset-cpus --cpuset-mems --detach-keys --device --device-cgroup-rule --device-read-bps --device-read-iops " +
  "--device-write-bps --device-write-iops --disable-content-trust --dns --dns-option --dns-search --domainname --entrypoint " +
  "-e --env --env-file --expose --gpus --group-add --health-cmd --health-interval --health-retries --health-start-interval " +
  "--health-start-period --health-timeout --help -h --hostname --init --io-maxbandwidth --io-maxiops --ip --ip6 --ipc " +
  "--isolation --kernel-memory -l --label --label-file --link --link-local-ip --log-driver --log-opt --mac-address -m " +
  "--memory --memory-reservation --memory-swap --memory-swappiness --mount --network-alias --net-alias --no-healthcheck " +
  "--oom-kill-disable --oom-score-adj --pid --pids-limit --platform --privileged -P --publish-all --pull -q --quiet " +
  "--read-only --restart --runtime --security-opt --shm-size --sig-proxy --stop-signal --stop-timeout --storage-opt " +
  "--sysctl --tmpfs --ulimit --use-api-socket -u --user --userns --uts -v --volume --volume-driver --volumes-from -w --workdir"
).split(" ");

const RUN_FLAGS: FlagSpec = {
  path: "docker run",
  known: {
    ...flag("d", "detach"),
    // The terminal detaches from a daemon either way, and nothing reads a container's standard input.
    ...flag("i", "interactive"),
    ...flag("t", "tty"),
    ...flag(null, "rm"),
    ...flag(null, "name", true),
    ...flag(null, "network", true),
    "--net": { name: "network", value: true },
    ...flag("p", "publish", true),
  },
  real: RUN_REAL_FLAGS,
  interspersed: false,
};

function run(argv: string[], ctx: CommandContext): number {
  const { flags, args } = readFlags(argv, RUN_FLAGS);
  const detach = flags.has("detach");
  const name = flags.get("name")?.at(-1) ?? null;
  let network: ContainerNetwork = "bridge";
  for (const v of flags.get("network") ?? []) {
    if (v !== "bridge" && v !== "host" && v !== "none" && v !== "default") fail(`docker: Error response from daemon: network ${v} not found.\nSee 'docker run --help'.`, 125);
    network = v === "default" ? "bridge" : v;
  }
  const publish = flags.get("publish") ?? [];
  const usage = (msg: string): never => fail(`docker: ${msg}\nSee 'docker run --help'.`, 125);
  const image = args[0];
  if (image === undefined) return usage(`'docker run' requires at least 1 argument.\n\nUsage:  docker run [OPTIONS] IMAGE [COMMAND] [ARG...]\n\nCreate and run a new container from an image`);
  // Each image runs its own entrypoint here; another command in its place is not modelled.
  if (args.length > 1) notSimulated(`docker run ${args.join(" ")}`);
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
      case "limit":
        limitReached(c.limit, 125, (m) => `docker: Error response from daemon: ${m}.\nSee 'docker run --help'.`);
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

const PS_FLAGS: FlagSpec = {
  path: "docker ps",
  known: { ...flag("a", "all"), ...flag("q", "quiet") },
  real: "-f --filter --format -n --last -l --latest --no-trunc -s --size --help -h".split(" "),
  interspersed: true,
};

function ps(argv: string[], ctx: CommandContext, path = "docker ps"): number {
  const { flags, args } = readFlags(argv, { ...PS_FLAGS, path });
  if (args.length > 0) fail(`"${path}" accepts no arguments.\nSee '${path} --help'.\n\nUsage:  ${path} [OPTIONS]\n\nList containers`, 1);
  const all = flags.has("all");
  const quiet = flags.has("quiet");
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

const EXEC_FLAGS: FlagSpec = {
  path: "docker exec",
  // -it changes nothing here: the command's output is the terminal's either way.
  known: { ...flag("i", "interactive"), ...flag("t", "tty") },
  real: "-d --detach --detach-keys -e --env --env-file --privileged -u --user -w --workdir --help -h".split(" "),
  interspersed: false,
};

function exec(argv: string[], ctx: CommandContext, path = "docker exec"): ExitStatus {
  const { args } = readFlags(argv, { ...EXEC_FLAGS, path });
  const [name, ...cmd] = args;
  if (name === undefined || cmd.length === 0) fail(`"docker exec" requires at least 2 arguments.\nSee 'docker exec --help'.\n\nUsage:  docker exec [OPTIONS] CONTAINER COMMAND [ARG...]\n\nExecute a command in a running container`, 1);
  const c = find(ctx.host, name);
  if (!c.running) fail(`Error response from daemon: container ${c.id} is not running`, 1);
  if (["bash", "/bin/bash", "sh", "/bin/sh"].includes(cmd[0]!) && cmd.length === 1) {
    ctx.out.push(`cnlab: interactive shells are not simulated. Type commands as 'docker exec ${c.name} <command>', or open a terminal in namespace ${c.namespace}.`);
    return 0;
  }
  return ctx.exec(ctx.host.namespaces.get(c.namespace)!, cmd);
}

const RM_FLAGS: FlagSpec = {
  path: "docker rm",
  // -v removes the container's anonymous volumes; containers here have none, so it changes nothing.
  known: { ...flag("f", "force"), ...flag("v", "volumes") },
  real: "-l --link --help -h".split(" "),
  interspersed: true,
};

function rm(argv: string[], ctx: CommandContext, path = "docker rm"): number {
  const { flags, args: names } = readFlags(argv, { ...RM_FLAGS, path });
  const force = flags.has("force");
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

const STOP_FLAGS: FlagSpec = { path: "docker stop", known: {}, real: "-s --signal -t --time --timeout --help -h".split(" "), interspersed: true };
const START_FLAGS: FlagSpec = { path: "docker start", known: {}, real: "-a --attach --checkpoint --checkpoint-dir --detach-keys -i --interactive --help -h".split(" "), interspersed: true };

function stopStart(argv: string[], ctx: CommandContext, start: boolean, path = `docker ${start ? "start" : "stop"}`): number {
  const names = readFlags(argv, { ...(start ? START_FLAGS : STOP_FLAGS), path }).args;
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

const INSPECT_FLAGS: FlagSpec = { path: "docker inspect", known: flag("f", "format", true), real: "-s --size --type --help -h".split(" "), interspersed: true };

function inspect(argv: string[], ctx: CommandContext, path = "docker inspect"): number {
  const { flags, args: names } = readFlags(argv, { ...INSPECT_FLAGS, path });
  const format = flags.get("format")?.at(-1) ?? null;
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

const LOGS_FLAGS: FlagSpec = { path: "docker logs", known: {}, real: "--details -f --follow --since -n --tail -t --timestamps --until --help -h".split(" "), interspersed: true };

function logs(argv: string[], ctx: CommandContext, path = "docker logs"): number {
  const { args } = readFlags(argv, { ...LOGS_FLAGS, path });
  if (args.length !== 1) fail(`"${path}" requires exactly 1 argument.\nSee '${path} --help'.\n\nUsage:  ${path} [OPTIONS] CONTAINER\n\nFetch the logs of a container`, 1);
  ctx.out.push(...find(ctx.host, args[0]!).logs);
  return 0;
}

type Subcommand = (argv: string[], ctx: CommandContext, path: string) => ExitStatus;

/** The container commands cnlab runs, under their `docker container` names (aliases included). */
const CONTAINER_COMMANDS: Record<string, Subcommand> = {
  run: (argv, ctx) => run(argv, ctx),
  ls: ps,
  list: ps,
  ps,
  exec,
  rm,
  remove: rm,
  stop: (argv, ctx, path) => stopStart(argv, ctx, false, path),
  start: (argv, ctx, path) => stopStart(argv, ctx, true, path),
  logs,
  inspect,
};

/** The container commands that are also top-level commands of the CLI. */
const TOP_LEVEL = ["run", "ps", "exec", "rm", "stop", "start", "logs", "inspect"];

/** The Docker CLI's other commands, and the subcommands of its management commands: real, not simulated. */
const REAL_COMMANDS: Record<string, readonly string[] | null> = {
  container: "attach commit cp create diff export kill pause port prune rename restart stats top unpause update wait".split(" "),
  network: "connect create disconnect inspect ls list prune rm remove".split(" "),
  image: "build history import inspect load ls list prune pull push rm remove save tag".split(" "),
  volume: "create inspect ls list prune rm remove update".split(" "),
  system: "df events info prune".split(" "),
  ...Object.fromEntries(
    ("attach build builder buildx checkpoint commit compose config context cp create diff events export help history images import info " +
      "kill load login logout manifest node pause plugin port pull push rename restart rmi save search secret service stack stats swarm " +
      "tag top trust unpause update version wait")
      .split(" ")
      .map((c) => [c, null]),
  ),
};

/** The Docker CLI's own options, given before the command. */
const GLOBAL_FLAGS = "--config -c --context -D --debug -H --host -l --log-level --tls --tlscacert --tlscert --tlskey --tlsverify -v --version -h --help".split(" ");

export const dockerCommand: CommandHandler = (argv, ctx) => {
  const [sub, ...rest] = argv;
  if (sub === undefined) fail("Usage:  docker [OPTIONS] COMMAND\n\nA self-sufficient runtime for containers", 0);
  if (sub.startsWith("-")) {
    const opt = sub.replace(/=.*/, "");
    if (GLOBAL_FLAGS.includes(opt)) notSimulated(`docker ${opt}`);
    fail(`unknown flag: ${opt}\nSee 'docker --help'.`, 125);
  }
  if (TOP_LEVEL.includes(sub)) return CONTAINER_COMMANDS[sub]!(rest, ctx, `docker ${sub}`);
  if (sub === "container" && rest[0] !== undefined && Object.hasOwn(CONTAINER_COMMANDS, rest[0])) return CONTAINER_COMMANDS[rest[0]]!(rest.slice(1), ctx, `docker container ${rest[0]}`);
  const subs = Object.hasOwn(REAL_COMMANDS, sub) ? REAL_COMMANDS[sub] : undefined;
  if (subs !== undefined) {
    const next = rest[0];
    if (subs === null || next === undefined || next.startsWith("-")) notSimulated(`docker ${sub}`);
    if (!subs.includes(next)) fail(`docker: '${sub} ${next}' is not a docker command.\nSee 'docker --help'`, 1);
    notSimulated(`docker ${sub} ${next}`);
  }
  fail(`docker: '${sub}' is not a docker command.\nSee 'docker --help'`, 1);
};
