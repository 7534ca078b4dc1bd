/**
 * The pods a node's CNI chain wired (kubernetes.cni: flannel delegating to
 * bridge and host-local, then portmap; kube/cni-plugins.ts is the
 * simulator's side), as iproute2 commands doing what the bridge plugin does
 * for each pod, in its order: cni0 made once (the lease's MTU, the gateway's
 * MAC, up), a namespace per pod, the veth pair (eth0 inside, the plugin's
 * vethXXXXXXXX on the node, enslaved to cni0, up), the port's hairpin mode,
 * host-local's address on eth0 with the routes via the gateway, and the
 * gateway address on cni0 after the first pod. Everything is read from the
 * simulator's state as the chain left it (names, MACs, addresses, routes;
 * the hairpin flag from the port's sysfs file), so the real pods are the
 * simulated ones. portmap writes nothing: no pod of a lab maps a hostPort,
 * so no CNI-HOSTPORT-* chain exists on either side.
 *
 * Pods whose namespace the topology declares are built with the topology
 * (topology-commands.ts); only the namespaces the chain made are here.
 */
import type { Engine, NetworkState, TopologySpec } from "../engine/index.js";
import { comment, ipIn } from "./script-lines.js";
import { namespaceSuffix } from "./script-names.js";
import { broadcastFor, expandNamespaceWords, namespaceSetupLines } from "./topology-commands.js";

/** The bridge the bridge plugin makes (flannel's delegate names no other). */
const CNI_BRIDGE = "cni0";

export interface CniPod {
  host: string;
  /** The pod's network namespace, as the simulator named it. */
  namespace: string;
  suffix: string;
}

type Namespace = NetworkState["hosts"][number]["namespaces"][number];
type Interface = Namespace["interfaces"][number];

/** The namespaces of a node that neither the topology nor a container declares: the ones the CNI chain made, in the order it made them. */
export function cniPods(spec: TopologySpec, state: NetworkState): CniPod[] {
  if (spec.kubernetes?.cni === undefined) return [];
  const nodes = new Set(spec.kubernetes.nodes);
  const pods: CniPod[] = [];
  for (const h of spec.hosts) {
    if (!nodes.has(h.name)) continue;
    const declared = new Set(["root", ...(h.namespaces ?? []), ...(h.containers ?? []).map((c) => c.name)]);
    const host = state.hosts.find((x) => x.name === h.name);
    for (const ns of host?.namespaces ?? []) if (!declared.has(ns.name)) pods.push({ host: h.name, namespace: ns.name, suffix: namespaceSuffix(h.name, ns.name) });
  }
  return pods;
}

/** Routes the plugin added (everything in main but the kernel's connected routes), as `ip route` prints them, which `ip route add` takes back. */
function addedRoutes(ns: Namespace): string[] {
  return ns.routes.filter((r) => r.table === "main" && !r.text.includes(" proto kernel ")).map((r) => r.text);
}

function hairpinOn(engine: Engine, host: string, port: string): boolean {
  return engine.run({ host, command: `cat /sys/class/net/${port}/brport/hairpin_mode` }).output.trim() === "1";
}

export function cniLines(spec: TopologySpec, state: NetworkState, engine: Engine): string[] {
  const pods = cniPods(spec, state);
  const lines: string[] = [];
  for (const node of [...new Set(pods.map((p) => p.host))]) {
    const host = state.hosts.find((h) => h.name === node)!;
    const root = host.namespaces.find((n) => n.name === "root")!;
    const bridge = root.interfaces.find((i) => i.name === CNI_BRIDGE && i.kind === "bridge");
    if (bridge === undefined) continue;
    const nodeNs = namespaceSuffix(node, null);
    lines.push(
      comment(`${node}: the CNI chain for each pod (flannel → bridge + host-local → portmap). bridge makes ${CNI_BRIDGE} with the lease's MTU.`),
      ipIn(nodeNs, ["link", "add", CNI_BRIDGE, "address", bridge.mac, "mtu", String(bridge.mtu), "type", "bridge", "stp_state", "0"]),
      ipIn(nodeNs, ["link", "set", CNI_BRIDGE, "up"]),
    );
    let gatewaySet = false;
    for (const pod of pods.filter((p) => p.host === node)) {
      const ns = host.namespaces.find((n) => n.name === pod.namespace)!;
      const eth0 = ns.interfaces.find((i): i is Interface & { peer: NonNullable<Interface["peer"]> } => i.kind === "veth" && i.peer !== null && i.peer.namespace === "root");
      if (eth0 === undefined) continue;
      const outside = root.interfaces.find((i) => i.name === eth0.peer.name)!;
      const hairpin = hairpinOn(engine, node, outside.name) ? "on" : "off";
      lines.push(
        comment(`Pod ${pod.namespace}: its namespace, the veth pair (${eth0.name} inside, ${outside.name} on ${CNI_BRIDGE}, hairpin ${hairpin}), host-local's address and the routes via the gateway.`),
        ...namespaceSetupLines(pod.suffix),
        expandNamespaceWords(
          ipIn(nodeNs, ["link", "add", outside.name, "address", outside.mac, "mtu", String(outside.mtu), "type", "veth", "peer", "name", eth0.name, "address", eth0.mac, "mtu", String(eth0.mtu), "netns", `__NS__${pod.suffix}`]),
        ),
        ipIn(nodeNs, ["link", "set", outside.name, "master", CNI_BRIDGE]),
        ipIn(nodeNs, ["link", "set", outside.name, "up"]),
        ipIn(pod.suffix, ["link", "set", eth0.name, "up"]),
        ipIn(nodeNs, ["link", "set", "dev", outside.name, "type", "bridge_slave", "hairpin", hairpin]),
        ...eth0.addresses.map((a) => ipIn(pod.suffix, ["addr", "add", a, ...broadcastFor(a), "dev", eth0.name])),
        ...addedRoutes(ns).map((r) => ipIn(pod.suffix, ["route", "add", ...r.split(" ")])),
      );
      if (!gatewaySet) {
        lines.push(...bridge.addresses.map((a) => ipIn(nodeNs, ["addr", "add", a, ...broadcastFor(a), "dev", CNI_BRIDGE])));
        gatewaySet = true;
      }
    }
  }
  return lines;
}
