/**
 * A session's commands as lines of the script, in the order it ran them:
 * each one in its namespace with `ip netns exec`, and `docker exec NAME cmd`
 * as `cmd` in the container's namespace. What needs a daemon the script does
 * not run (docker run, docker ps, calicoctl) stays a comment, and so does a
 * command with shell syntax in it (quotes, pipes, $…): a session's commands
 * are a student's typing, and the script runs as root, so only plain words
 * are passed on. A command that fails does not stop the script.
 */
import { comment, execIn } from "./script-lines.js";
import { namespaceSuffix } from "./script-names.js";
import { isPlainWord } from "./shell-quote.js";

export interface SessionCommand {
  host: string;
  namespace: string | null | undefined;
  command: string;
}

export type Translation =
  | { kind: "run"; suffix: string; argv: string[] }
  | { kind: "skip"; reason: string };

const DAEMON_TOOLS: Record<string, string> = {
  docker: "needs the Docker daemon",
  calicoctl: "needs Calico",
  kubectl: "needs Kubernetes",
};

export function translateCommand(c: SessionCommand): Translation {
  const words = c.command.trim().split(/\s+/).filter((w) => w !== "");
  if (words.length === 0) return { kind: "skip", reason: "empty" };
  if (!words.every(isPlainWord)) return { kind: "skip", reason: "shell syntax is not passed on" };
  if (words[0] === "docker" && words[1] === "exec") {
    const rest = words.slice(2).filter((w, i, all) => !(w.startsWith("-") && all.slice(0, i).every((x) => x.startsWith("-"))));
    const [container, ...argv] = rest;
    if (container === undefined || argv.length === 0) return { kind: "skip", reason: "docker exec without a command" };
    return { kind: "run", suffix: namespaceSuffix(c.host, container), argv };
  }
  const daemon = DAEMON_TOOLS[words[0]!];
  if (daemon !== undefined) return { kind: "skip", reason: daemon };
  return { kind: "run", suffix: namespaceSuffix(c.host, c.namespace), argv: words };
}

/** `ip … link add … type dummy`, however it is spelled (ip -n, ip netns exec, `a` for add). */
function addsDummy(argv: readonly string[]): boolean {
  const link = argv.indexOf("link");
  const add = argv[link + 1];
  const type = argv.indexOf("type");
  return link >= 0 && add !== undefined && "add".startsWith(add) && type > link && argv[type + 1] === "dummy";
}

/**
 * The first dummy device asked for on a simulated host loads that kernel's
 * dummy module, whose init makes dummy0 in the host's own namespace. The
 * script loads the real module without that device (numdummies=0: the
 * machine's own namespace is not the lab's to touch), says so when the kernel
 * has no dummy module, and makes dummy0 in the host's namespace as the
 * simulated module did.
 */
function dummyModuleLines(host: string): string[] {
  return [
    comment(`The simulated kernel of ${host} loaded its dummy module here, which made dummy0 in ${host}'s own namespace.`),
    "load_dummy_module",
    `run_command ${execIn(namespaceSuffix(host, null), ["ip", "link", "add", "dummy0", "type", "dummy"]).replace(/^ip netns exec /, "")}`,
  ];
}

export function commandLines(commands: SessionCommand[]): string[] {
  const dummyLoaded = new Set<string>();
  return commands.flatMap((c, i) => {
    const where = `${c.host}${c.namespace === null || c.namespace === undefined || c.namespace === "root" ? "" : `/${c.namespace}`}`;
    const t = translateCommand(c);
    const head = comment(`[${i + 1}] ${where}$ ${c.command.replaceAll("\n", " ")}`);
    switch (t.kind) {
      case "run": {
        const module = addsDummy(t.argv) && !dummyLoaded.has(c.host) ? (dummyLoaded.add(c.host), dummyModuleLines(c.host)) : [];
        return [...module, head, `run_command ${execIn(t.suffix, t.argv).replace(/^ip netns exec /, "")}`];
      }
      case "skip":
        return [head, comment(`  not run here: ${t.reason}`)];
    }
  });
}
