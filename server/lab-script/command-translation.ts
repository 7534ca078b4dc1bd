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

export function commandLines(commands: SessionCommand[]): string[] {
  return commands.flatMap((c, i) => {
    const where = `${c.host}${c.namespace === null || c.namespace === undefined || c.namespace === "root" ? "" : `/${c.namespace}`}`;
    const t = translateCommand(c);
    const head = comment(`[${i + 1}] ${where}$ ${c.command.replaceAll("\n", " ")}`);
    switch (t.kind) {
      case "run":
        return [head, `run_command ${execIn(t.suffix, t.argv).replace(/^ip netns exec /, "")}`];
      case "skip":
        return [head, comment(`  not run here: ${t.reason}`)];
    }
  });
}
