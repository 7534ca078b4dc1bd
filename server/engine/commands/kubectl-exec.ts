/**
 * kubectl exec POD -- COMMAND: a command run in the pod's container, as
 * busybox runs it there. The container's file system is modelled only as the
 * set of files its readiness probe may test (readiness-probe.ts), so the
 * commands are those that read or change it: touch FILE…, rm [-f] FILE…,
 * cat FILE, ls FILE, test -e|-f FILE. The kubelet's next probe sees the
 * change; readiness follows after its threshold. A command that fails makes
 * kubectl print "command terminated with exit code N" and exit with N.
 * Anything else is not simulated (the pod's network tools run in its
 * namespace from the lab's terminal instead).
 */
import { key, type Cluster, type Pod } from "../kube/cluster.js";
import { fail, type CommandContext } from "./command-context.js";
import { notSimulated } from "./not-simulated.js";

const DEPRECATED = "error: exec [POD] [COMMAND] is not supported anymore. Use exec [POD] -- [COMMAND] instead\nSee 'kubectl exec -h' for help and examples";

/** Runs the command against the pod's files: its output and exit status. */
function runInContainer(pod: Pod, argv: string[]): { out: string[]; code: number } {
  const [tool, ...args] = argv;
  const files = pod.files;
  switch (tool) {
    case "touch": {
      if (args.length === 0) return { out: ["BusyBox v1.36.1 (2023-05-18 22:34:17 UTC) multi-call binary.", "", "Usage: touch [-c] [-d DATE] [-t DATE] [-r FILE] FILE..."], code: 1 };
      for (const f of args) files.add(absolute(f));
      return { out: [], code: 0 };
    }
    case "rm": {
      const force = args[0] === "-f";
      const names = force ? args.slice(1) : args;
      const out: string[] = [];
      for (const f of names) {
        if (files.delete(absolute(f)) || force) continue;
        out.push(`rm: can't remove '${f}': No such file or directory`);
      }
      return { out, code: out.length > 0 ? 1 : 0 };
    }
    case "cat": {
      const out = args.filter((f) => !files.has(absolute(f))).map((f) => `cat: can't open '${f}': No such file or directory`);
      return { out, code: out.length > 0 ? 1 : 0 };
    }
    case "ls": {
      const out: string[] = [];
      const found: string[] = [];
      for (const f of args) (files.has(absolute(f)) ? found : out).push(files.has(absolute(f)) ? f : `ls: ${f}: No such file or directory`);
      return { out: [...out, ...found], code: out.length > 0 ? 1 : 0 };
    }
    case "test":
      if ((args[0] === "-e" || args[0] === "-f") && args.length === 2) return { out: [], code: files.has(absolute(args[1]!)) ? 0 : 1 };
      return notSimulated(`kubectl exec -- ${argv.join(" ")}`);
    default:
      return notSimulated(`kubectl exec -- ${tool ?? ""}`.trim());
  }
}

/** Paths as the container's shell sees them: its working directory is /. */
function absolute(path: string): string {
  return path.startsWith("/") ? path : `/${path}`;
}

export function exec(ctx: CommandContext, cluster: Cluster, argv: string[]): number {
  const dash = argv.indexOf("--");
  const before = dash < 0 ? argv : argv.slice(0, dash);
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  let namespace = "default";
  const words: string[] = [];
  for (let i = 0; i < before.length; i++) {
    const a = before[i]!;
    if (a === "-n" || a === "--namespace") namespace = before[++i] ?? fail(`error: flag needs an argument: '${a.replace(/^-+/, "")}' in ${a}`, 1);
    else if (a.startsWith("--namespace=")) namespace = a.slice(12);
    else if (a === "-i" || a === "-t" || a === "-it" || a === "-ti" || a === "--stdin" || a === "--tty") continue;
    else if (a === "-c" || a === "--container") notSimulated("kubectl exec -c (a lab's pods have one container)");
    else if (a.startsWith("-")) fail(`error: unknown flag: ${a}\nSee 'kubectl exec --help' for usage.`, 1);
    else words.push(a);
  }
  const [name, ...extra] = words;
  if (name === undefined) fail("error: pod, type/name or --filename must be specified", 1);
  if (extra.length > 0 || (dash < 0 && words.length > 1)) fail(DEPRECATED, 1);
  if (command.length === 0) fail("error: you must specify at least one command for the container", 1);
  const podName = name.startsWith("pod/") ? name.slice(4) : name;
  const pod = cluster.pods.get(key(namespace, podName));
  if (pod === undefined) fail(`Error from server (NotFound): pods "${podName}" not found`, 1);
  const r = runInContainer(pod, command);
  ctx.out.push(...r.out);
  if (r.code !== 0) ctx.out.push(`command terminated with exit code ${r.code}`);
  return r.code;
}
