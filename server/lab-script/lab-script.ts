/**
 * A lab (and optionally a session's commands) as a bash script that builds it
 * for real with ip netns, veth pairs, bridges, VXLAN, TUN, iptables and
 * sysctls (and pods' resolv.conf, with a DNS responder standing in for
 * CoreDNS), so a student or instructor can run the same lab on a Linux box,
 * and the conformance suite can hold the simulator to the kernel.
 *
 * The simulator is built from the topology once, to read what the lab leaves
 * to it (MACs drawn from the seed, Docker's iptables rules, sysctls, the
 * processes' sockets), so the real lab matches the simulated one. The script:
 *   bash lab.sh        build, run the session's commands, wait for Enter, remove everything
 *   bash lab.sh up     build and leave it (remove it later with `down`)
 *   bash lab.sh down   remove everything the script makes
 * Every namespace name starts with $CNLAB_PREFIX (default written in the
 * script); a failed build removes what it made.
 */
import { Engine, type TopologySpec } from "../engine/index.js";
import { cniLines, cniPods } from "./cni-commands.js";
import { dnsZoneWord, podResolverLines } from "./cluster-dns-commands.js";
import { commandLines, type SessionCommand } from "./command-translation.js";
import { listenerLines } from "./listener-commands.js";
import { netfilterLines } from "./netfilter-commands.js";
import { overlayLines } from "./overlay-commands.js";
import { helperFunctions } from "./runtime-helpers.js";
import { defaultPrefix } from "./script-names.js";
import { hostLines, namespaceLines, namespaceSuffixes, placedNamespaces, segmentLines, type PlacedNamespace } from "./topology-commands.js";

export interface LabScriptInput {
  labId: string;
  title: string;
  topology: TopologySpec;
  /** The seed the simulator drew MACs with (a session's own; 1 for a lab). */
  seed?: number;
  /** Namespace prefix; `cnlab-<labid-short>-` when absent. */
  prefix?: string;
  /** A session's commands, in order; none for a lab. */
  commands?: SessionCommand[];
  /** Says where the script came from, in its header ("session 3f2a…"). */
  source?: string;
}

/** The script, and the namespaces it makes for the lab's hosts and theirs (not the segments' switches), which a capture of the lab spans. */
export type LabScriptResult = { kind: "ok"; script: string; namespaces: PlacedNamespace[] } | { kind: "invalid-topology"; message: string };

function fn(name: string, lines: string[]): string {
  return `${name}() {\n${lines.length === 0 ? "  :" : lines.map((l) => `  ${l}`).join("\n")}\n}\n`;
}

export function labScript(input: LabScriptInput): LabScriptResult {
  const engine = Engine.create(input.topology, { seed: input.seed ?? 1 });
  if (!(engine instanceof Engine)) {
    return { kind: "invalid-topology", message: engine.issues.map((i) => `${i.path}: ${i.message}`).join("; ") };
  }
  const state = engine.state();
  const prefix = input.prefix ?? defaultPrefix(input.labId);
  const commands = input.commands ?? [];
  const pods = cniPods(input.topology, state);
  const namespaces = [...namespaceSuffixes(input.topology), ...pods.map((p) => p.suffix)].map((s) => `"\${P}${s}"`);

  const header = [
    "#!/usr/bin/env bash",
    `# cnlab lab "${input.labId}": ${input.title.replaceAll("\n", " ")}`,
    ...(input.source === undefined ? [] : [`# ${input.source}`]),
    "# Builds the lab for real in network namespaces: each simulated host, container and",
    "# segment becomes a namespace whose name starts with $P; devices live only inside them.",
    "# Run as root on Linux with iproute2 and iptables:",
    "#   bash lab.sh        build, run the commands, wait for Enter, then remove everything",
    "#   bash lab.sh up     build and leave it running;  bash lab.sh down  removes it",
    "#   CNLAB_PREFIX=xyz- bash lab.sh …  uses another prefix for the namespaces",
    "set -euo pipefail",
    "",
    `P="\${CNLAB_PREFIX:-${prefix}}"`,
    `MODE="\${1:-run}"`,
    `NAMESPACES=(${namespaces.join(" ")})`,
    "",
  ].join("\n");

  const runCommand = `# run_command NAMESPACE COMMAND…: one of the session's commands; its failure does not stop the script.
run_command() {
  local ns="$1"
  shift
  ip netns exec "$ns" "$@" || echo "(exit status $?)"
}
`;

  const main = `case "$MODE" in
  down)
    cleanup
    exit 0
    ;;
  up | run) ;;
  *)
    echo "usage: $0 [up|down]" >&2
    exit 2
    ;;
esac

require_root
for ns in "\${NAMESPACES[@]}"; do
  if [ -e "/run/netns/$ns" ]; then echo "$0: namespace $ns exists already (run '$0 down' first, or set CNLAB_PREFIX)" >&2; exit 1; fi
done
# A build that fails half-way removes what it made; "run" removes everything when it ends.
if [ "$MODE" = run ]; then trap cleanup EXIT; else trap 'status=$?; [ "$status" -eq 0 ] || cleanup' EXIT; fi

build
start_processes
if [ "$MODE" = up ]; then
  echo "lab ${input.labId} is up: namespaces \${NAMESPACES[*]}"
  echo "remove it with: $0 down"
  exit 0
fi
commands
if [ -t 0 ]; then read -r -p "Press Enter to remove the lab. " _; fi
`;

  const script = [
    header,
    helperFunctions(),
    runCommand,
    fn("build", [...namespaceLines(input.topology), ...segmentLines(input.topology), ...hostLines(input.topology, state), ...overlayLines(input.topology, state), ...cniLines(input.topology, state, engine), ...podResolverLines(state, engine), ...netfilterLines(engine)]),
    fn("start_processes", listenerLines(state, dnsZoneWord(engine))),
    fn("commands", commandLines(commands)),
    main,
  ].join("\n");
  return { kind: "ok", script, namespaces: [...placedNamespaces(input.topology), ...pods] };
}
