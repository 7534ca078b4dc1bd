/**
 * iptables rules and sysctls as the simulator set them when it built the lab
 * (Docker's chains, NAT and FORWARD policy, published ports; ip_forward and
 * bridge-nf-call-iptables; a policy controller's ip sets): read from the
 * simulator's own `iptables -S`, `sysctl -a` and `ipset save` in each
 * namespace, so the real machine gets exactly the rules the simulated one has. A namespace whose tables hold only the default
 * ACCEPT policies gets no iptables lines.
 */
import type { Engine } from "../engine/index.js";
import { comment, execIn } from "./script-lines.js";
import { ruleWords } from "./rule-words.js";
import { namespaceSuffix } from "./script-names.js";

const TABLES = ["filter", "nat"] as const;
const DEFAULT_POLICY = /^-P \S+ ACCEPT$/;

/** `iptables -S` lines as iptables arguments: the output of -S is what -A/-N/-P take back. */
function ruleLines(engine: Engine, host: string, ns: string): string[] {
  const lines: string[] = [];
  for (const table of TABLES) {
    const out = engine.run({ host, namespace: ns, command: `iptables -t ${table} -S` });
    if (out.exitCode !== 0) continue;
    const rules = out.output.split("\n").filter((l) => l.trim() !== "");
    if (rules.every((l) => DEFAULT_POLICY.test(l))) continue;
    for (const r of rules) {
      if (DEFAULT_POLICY.test(r)) continue;
      lines.push(execIn(namespaceSuffix(host, ns), ["iptables", "-t", table, ...ruleWords(r)]));
    }
  }
  return lines;
}

/** Sysctls the simulator reports that differ from a new namespace's defaults (all 0 for the keys it models). */
function sysctlLines(engine: Engine, host: string, ns: string): string[] {
  const out = engine.run({ host, namespace: ns, command: "sysctl -a" });
  if (out.exitCode !== 0) return [];
  const lines: string[] = [];
  for (const line of out.output.split("\n")) {
    const m = /^(\S+) = (\S+)$/.exec(line);
    if (m === null || m[2] === "0") continue;
    const [, key, value] = m;
    // ip_forward comes with the host's topology (topology-commands.ts); every conf.*.forwarding reads as it, and
    // Linux sets them all when it is written (devinet's inet_forward_change): a device made later would not exist yet.
    if (key === "net.ipv4.ip_forward" || key!.endsWith(".forwarding")) continue;
    if (key!.startsWith("net.bridge.")) {
      lines.push(comment("br_netfilter (loaded by the Docker daemon) makes bridged frames pass iptables; it must be loaded: modprobe br_netfilter."));
      lines.push(`require_br_netfilter`);
    }
    lines.push(execIn(namespaceSuffix(host, ns), ["sysctl", "-qw", `${key}=${value}`]));
  }
  return lines;
}

/** The namespace's ip sets, made before the rules that test them (iptables refuses a rule naming a missing set). */
function ipsetLines(engine: Engine, host: string, ns: string): string[] {
  const out = engine.run({ host, namespace: ns, command: "ipset save" });
  if (out.exitCode !== 0 || out.output.trim() === "") return [];
  const lines = [comment("ip sets (hash:ip, hash:net) the rules below test with -m set; needs the ipset tool."), "require_ipset"];
  for (const line of out.output.split("\n")) {
    const create = /^create (\S+) (hash:ip|hash:net) .*?(?: timeout (\d+))?(?: bucketsize| initval|$)/.exec(line);
    // An entry's options as ipset save writes them: its timeout, and `nomatch` (hash:net: an exception inside a wider entry).
    const add = /^add (\S+) (\S+)((?: timeout \d+| nomatch)*)$/.exec(line);
    if (create !== null) lines.push(execIn(namespaceSuffix(host, ns), ["ipset", "create", create[1]!, create[2]!, ...(create[3] === undefined ? [] : ["timeout", create[3]])]));
    else if (add !== null) lines.push(execIn(namespaceSuffix(host, ns), ["ipset", "add", add[1]!, add[2]!, ...add[3]!.trim().split(" ").filter((word) => word !== "")]));
  }
  return lines;
}

export function netfilterLines(engine: Engine): string[] {
  const lines: string[] = [];
  for (const host of engine.hostNames()) {
    for (const ns of engine.namespaceNames(host)) {
      const made = [...sysctlLines(engine, host, ns), ...ipsetLines(engine, host, ns), ...ruleLines(engine, host, ns)];
      if (made.length === 0) continue;
      lines.push(comment(`Kernel settings and iptables rules of ${host}${ns === "root" ? "" : `/${ns}`}, as the simulator set them.`), ...made);
    }
  }
  return lines;
}
