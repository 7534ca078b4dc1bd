/**
 * Tab completion for the simulated shell, as bash-completion does for the
 * tools the simulator has (server/engine/commands/registry.ts): command names
 * first, then each tool's sub-commands, then the names that make sense where
 * the cursor is (devices after `dev`, `master`, `-i`; bridges after `br`;
 * containers after `docker exec`; namespaces after `ip netns exec`; for
 * kubectl its verbs, resource kinds, and the names of the pods, Services,
 * Deployments and NetworkPolicies of the namespace -n names; for cat and ls
 * the paths the simulator shows there, one directory at a time), taken from
 * the session's /state.
 *
 * Pure: complete() gets the line, the cursor and the names; the terminal
 * applies the answer: one candidate is inserted with a space after it (a
 * directory with its slash and no space, as bash does), several complete
 * their common prefix, and a second Tab lists them.
 */

/** The cluster's objects, by namespace, as kubectl completes them. */
export interface KubeNames {
  namespaces: string[];
  pods: { namespace: string; name: string }[];
  services: { namespace: string; name: string }[];
  deployments: { namespace: string; name: string }[];
  networkPolicies: { namespace: string; name: string }[];
}

export interface CompletionNames {
  /** Devices of the terminal's namespace. */
  devices: string[];
  /** Bridges of the terminal's namespace. */
  bridges: string[];
  /** Containers of the terminal's host. */
  containers: string[];
  /** Named namespaces of the terminal's host (ip netns). */
  namespaces: string[];
  /** The cluster's objects, when the lab has one. */
  kube?: KubeNames | null;
  /** The files and directories (ending in /) cat and ls show in the terminal's namespace. */
  files?: string[];
}

export interface Completion {
  /** Where the word being completed starts in the line. */
  start: number;
  /** The word as typed so far. */
  word: string;
  /** Every candidate that starts with the word, sorted. */
  candidates: string[];
  /** What replaces the word: the candidate and a space when there is one, else the candidates' longest common prefix. */
  replacement: string;
}

export const COMMAND_NAMES = ["arp", "brctl", "bridge", "calicoctl", "cat", "clear", "conntrack", "curl", "dig", "docker", "ifconfig", "ip", "ipset", "iptables", "iptables-save", "kubectl", "ls", "nc", "nslookup", "ping", "route", "sleep", "ss", "sysctl", "tcpdump", "traceroute", "wget"];

/** The kubectl verbs the simulator runs, and the kinds each takes. */
const KUBECTL_VERBS = ["apply", "delete", "describe", "exec", "get", "label", "patch", "scale", "version"];
const KUBECTL_KINDS: Record<string, string[]> = {
  get: ["deployments", "endpoints", "endpointslices", "networkpolicies", "nodes", "pods", "services"],
  describe: ["endpoints", "endpointslices", "networkpolicies", "services"],
  delete: ["deployments", "pods", "services"],
  label: ["pods"],
  patch: ["networkpolicies", "services"],
  scale: ["deployments"],
};
/** kubectl's kind words, short names included, and whose names they take. */
const KIND_OBJECTS: Record<string, keyof Omit<KubeNames, "namespaces">> = {
  po: "pods",
  pod: "pods",
  pods: "pods",
  svc: "services",
  service: "services",
  services: "services",
  ep: "services",
  endpoints: "services",
  deploy: "deployments",
  deployment: "deployments",
  deployments: "deployments",
  netpol: "networkPolicies",
  networkpolicy: "networkPolicies",
  networkpolicies: "networkPolicies",
};
/** kubectl's flags that take a value, so the word after them is no object name. */
const KUBECTL_VALUE_FLAGS = new Set(["-n", "--namespace", "-o", "--output", "-p", "--patch", "--type", "-c", "--container", "-f", "--filename"]);

const IP_OBJECTS = ["address", "link", "neigh", "netns", "route", "rule"];
const IP_VERBS: Record<string, string[]> = {
  address: ["add", "del", "flush", "show"],
  addr: ["add", "del", "flush", "show"],
  a: ["add", "del", "flush", "show"],
  link: ["add", "del", "set", "show"],
  l: ["add", "del", "set", "show"],
  neigh: ["add", "del", "flush", "replace", "show"],
  n: ["add", "del", "flush", "replace", "show"],
  route: ["add", "del", "get", "replace", "show"],
  r: ["add", "del", "get", "replace", "show"],
  netns: ["add", "del", "exec", "list"],
  rule: ["add", "del", "show"],
};

const SUBCOMMANDS: Record<string, string[]> = {
  ip: IP_OBJECTS,
  bridge: ["fdb", "link"],
  brctl: ["addbr", "addif", "delbr", "delif", "show", "showmacs"],
  docker: ["exec", "inspect", "logs", "network", "ps", "rm", "run", "start", "stop"],
  conntrack: ["-L", "-F"],
  iptables: ["-t", "-A", "-D", "-I", "-L", "-N", "-P", "-S", "-F", "-X"],
  sysctl: ["-w", "-a", "net.ipv4.ip_forward", "net.bridge.bridge-nf-call-iptables", "net.ipv4.conf."],
  route: ["-n", "add", "del"],
  arp: ["-n", "-s", "-d"],
  ss: ["-tlnp", "-ulnp", "-tanp", "-s"],
  calicoctl: ["get"],
  tcpdump: ["-i", "-n", "-e", "-v", "-c", "-p"],
  traceroute: ["-n", "-I", "-U", "-m", "-q"],
};

/** The word before the cursor's word that asks for a device or a bridge. */
const DEVICE_KEYWORDS = new Set(["dev", "master", "-i", "-o", "--in-interface", "--out-interface", "port", "set", "del", "addif", "delif", "showmacs", "show"]);
const BRIDGE_KEYWORDS = new Set(["br", "addif", "delif", "showmacs", "delbr"]);
const CONTAINER_VERBS = new Set(["exec", "inspect", "logs", "rm", "start", "stop"]);

export function complete(line: string, cursor: number, names: CompletionNames): Completion {
  const before = line.slice(0, cursor);
  const start = before.search(/\S*$/);
  const word = before.slice(start);
  const words = before.slice(0, start).trim().split(/\s+/).filter(Boolean);
  const pool = words[0] === "cat" || words[0] === "ls" ? pathCandidates(word, names.files ?? []) : candidatesFor(words, names);
  const candidates = [...new Set(pool)].filter((c) => c.startsWith(word)).sort();
  let replacement = word;
  if (candidates.length === 1) replacement = candidates[0]!.endsWith("/") ? candidates[0]! : `${candidates[0]} `;
  else if (candidates.length > 1) replacement = commonPrefix(candidates);
  return { start, word, candidates, replacement };
}

function candidatesFor(words: string[], names: CompletionNames): string[] {
  if (words.length === 0) return COMMAND_NAMES;
  const [command, ...args] = words;
  const previous = words.at(-1)!;
  switch (command) {
    case "ip": {
      // ip -br link, ip -4 addr: options before the object do not count.
      const rest = args.filter((a) => !a.startsWith("-"));
      if (rest.length === 0) return IP_OBJECTS;
      if (rest[0] === "netns" && rest[1] === "exec" && rest.length === 2) return names.namespaces;
      if (rest[0] === "netns" && (rest[1] === "del" || rest[1] === "exec") && rest.length === 2) return names.namespaces;
      if (rest.length === 1) return IP_VERBS[rest[0]!] ?? [];
      if (previous === "master") return names.bridges;
      if (previous === "type") return ["bridge", "veth", "vxlan", "ipip", "dummy"];
      if (previous === "netns") return names.namespaces;
      return [...names.devices, "dev", "up", "down", "master", "nomaster", "mtu", "via"];
    }
    case "bridge":
      if (args.length === 0) return SUBCOMMANDS.bridge!;
      if (args.length === 1) return ["show", "add", "del"];
      if (previous === "br") return names.bridges;
      return ["br", "dev", ...names.devices];
    case "brctl":
      if (args.length === 0) return SUBCOMMANDS.brctl!;
      if (args.length === 1 && BRIDGE_KEYWORDS.has(previous)) return names.bridges;
      return names.devices;
    case "docker":
      if (args.length === 0) return SUBCOMMANDS.docker!;
      if (args.length === 1 && CONTAINER_VERBS.has(args[0]!)) return names.containers;
      if (args[0] === "network" && args.length === 1) return ["connect", "inspect", "ls"];
      if (args[0] === "run") return ["-d", "--name", "--net=host", "--network", "-p", "nginx"];
      return names.containers;
    case "ping":
    case "curl":
      return previous === "-I" ? names.devices : [];
    case "kubectl":
      return kubectlCandidates(args, names.kube ?? null);
    default:
      if (args.length === 0 && SUBCOMMANDS[command!] !== undefined) return [...SUBCOMMANDS[command!]!, ...(command === "ifconfig" ? names.devices : [])];
      if (DEVICE_KEYWORDS.has(previous) || command === "ifconfig" || command === "iptables") return names.devices;
      return SUBCOMMANDS[command!] ?? names.devices;
  }
}

/** kubectl VERB [KIND] [NAME], with -n NAMESPACE anywhere: the verbs, the kinds, then the names in that namespace. */
function kubectlCandidates(args: string[], kube: KubeNames | null): string[] {
  const previous = args.at(-1);
  if (previous === "-n" || previous === "--namespace") return kube?.namespaces ?? [];
  let namespace = "default";
  const words: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === "-n" || a === "--namespace") namespace = args[++i] ?? namespace;
    else if (a.startsWith("--namespace=")) namespace = a.slice(12);
    else if (KUBECTL_VALUE_FLAGS.has(a)) i++;
    else if (a === "--") return [];
    else if (!a.startsWith("-")) words.push(a);
  }
  const [verb, kind] = words;
  if (verb === undefined) return KUBECTL_VERBS;
  const inNamespace = (list: { namespace: string; name: string }[]) => list.filter((o) => o.namespace === namespace).map((o) => o.name);
  // exec takes a pod by name, no kind.
  if (verb === "exec") return words.length === 1 && kube !== null ? inNamespace(kube.pods) : [];
  const kinds = KUBECTL_KINDS[verb];
  if (kinds === undefined) return [];
  if (kind === undefined) return kinds;
  const objects = KIND_OBJECTS[kind.toLowerCase()];
  return objects === undefined || kube === null ? [] : inNamespace(kube[objects]);
}

/** The next path component of every known path under what is typed: a directory keeps its slash. */
function pathCandidates(word: string, files: string[]): string[] {
  const dir = word.slice(0, word.lastIndexOf("/") + 1);
  const out: string[] = [];
  for (const f of files) {
    if (!f.startsWith(dir) || f.length === dir.length) continue;
    const rest = f.slice(dir.length);
    const slash = rest.indexOf("/");
    out.push(dir + (slash < 0 ? rest : rest.slice(0, slash + 1)));
  }
  return out;
}

function commonPrefix(words: string[]): string {
  let prefix = words[0]!;
  for (const w of words) while (!w.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}
