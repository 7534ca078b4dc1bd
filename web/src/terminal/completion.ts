/**
 * Tab completion for the simulated shell, as bash-completion does for the
 * tools the simulator has (server/engine/commands/registry.ts): command names
 * first, then each tool's sub-commands, then the names that make sense where
 * the cursor is (devices after `dev`, `master`, `-i`; bridges after `br`;
 * containers after `docker exec`; namespaces after `ip netns exec`), taken
 * from the session's /state.
 *
 * Pure: complete() gets the line, the cursor and the names; the terminal
 * applies the answer: one candidate is inserted with a space after it,
 * several complete their common prefix, and a second Tab lists them.
 */

export interface CompletionNames {
  /** Devices of the terminal's namespace. */
  devices: string[];
  /** Bridges of the terminal's namespace. */
  bridges: string[];
  /** Containers of the terminal's host. */
  containers: string[];
  /** Named namespaces of the terminal's host (ip netns). */
  namespaces: string[];
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

export const COMMAND_NAMES = ["arp", "brctl", "bridge", "calicoctl", "clear", "conntrack", "curl", "dig", "docker", "ifconfig", "ip", "ipset", "iptables", "nslookup", "ping", "route", "sleep", "ss", "sysctl", "tcpdump", "traceroute"];

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
  const pool = candidatesFor(words, names);
  const candidates = [...new Set(pool)].filter((c) => c.startsWith(word)).sort();
  let replacement = word;
  if (candidates.length === 1) replacement = `${candidates[0]} `;
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
    default:
      if (args.length === 0 && SUBCOMMANDS[command!] !== undefined) return [...SUBCOMMANDS[command!]!, ...(command === "ifconfig" ? names.devices : [])];
      if (DEVICE_KEYWORDS.has(previous) || command === "ifconfig" || command === "iptables") return names.devices;
      return SUBCOMMANDS[command!] ?? names.devices;
  }
}

function commonPrefix(words: string[]): string {
  let prefix = words[0]!;
  for (const w of words) while (!w.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}
