/**
 * Deployments as their ReplicaSet controller keeps them: `replicas` pods
 * with the template's labels and process, named <deployment>-<pod-template-
 * hash>-<5 characters> from the alphabet apimachinery's rand.String uses.
 * Scaling up places each new pod on the node with the fewest of the
 * cluster's pods (the scheduler's spreading, ties in node order); scaling
 * down deletes first the unready ones, then those on the node with the most
 * of this Deployment's pods, then the newest (getPodsToDelete's ranking).
 * Rollouts, several ReplicaSets and resource requests are not modelled.
 */
import type { SeededRandom } from "../sim/seeded-random.js";
import type { Network } from "../topology/network.js";
import type { Cluster, Pod } from "./cluster.js";
import { createPod, removePod, type PodError } from "./pod-lifecycle.js";
import type { ReadinessProbe } from "./readiness-probe.js";

export interface Deployment {
  name: string;
  namespace: string;
  replicas: number;
  /** spec.selector.matchLabels, and the template's labels. */
  labels: Record<string, string>;
  serve: number[];
  /** The pod template's readiness probe and the files its container starts with. */
  probe?: ReadinessProbe;
  files?: string[];
  templateHash: string;
  created: number;
}

/** apimachinery's util/rand alphabet: no vowels, no confusable digits. */
const ALPHANUMS = "bcdfghjklmnpqrstvwxz2456789";

export function randomString(random: SeededRandom, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += ALPHANUMS[random.int(0, ALPHANUMS.length - 1)];
  return out;
}

export function podsOf(cluster: Cluster, d: Deployment): Pod[] {
  return [...cluster.pods.values()].filter((p) => p.namespace === d.namespace && p.owner === d.name);
}

/** The node a new pod goes to: the fewest pods, ties in the cluster's node order. */
function schedule(cluster: Cluster): string {
  const count = (n: string) => [...cluster.pods.values()].filter((p) => p.node === n).length;
  const nodes = cluster.nodes.filter((n) => cluster.cni.has(n));
  return nodes.reduce((best, n) => (count(n) < count(best) ? n : best), nodes[0]!);
}

/** Makes or deletes pods until the Deployment has `replicas`: the pods made and deleted, or the ADD that failed. `settled`: at the lab's start. */
export function reconcile(net: Network, cluster: Cluster, d: Deployment, created: number, settled = false): { added: Pod[]; removed: Pod[]; error: PodError | null } {
  const added: Pod[] = [];
  const removed: Pod[] = [];
  let pods = podsOf(cluster, d);
  while (pods.length < d.replicas) {
    let name: string;
    do name = `${d.name}-${d.templateHash}-${randomString(net.random, 5)}`;
    while ([...cluster.pods.values()].some((p) => p.name === name));
    const made = createPod(net, cluster, { name, namespace: d.namespace, node: schedule(cluster), labels: d.labels, serve: d.serve, owner: d.name, created, settled, ...(d.probe === undefined ? {} : { probe: d.probe }), ...(d.files === undefined ? {} : { files: d.files }) });
    if (!("ip" in made)) return { added, removed, error: made };
    added.push(made);
    pods = podsOf(cluster, d);
  }
  if (pods.length > d.replicas) {
    const onNode = (n: string) => pods.filter((p) => p.node === n).length;
    const ranked = [...pods].sort((a, b) => Number(a.ready) - Number(b.ready) || onNode(b.node) - onNode(a.node) || b.created - a.created || (a.name < b.name ? -1 : 1));
    for (const p of ranked.slice(0, pods.length - d.replicas)) {
      removePod(net, cluster, p);
      removed.push(p);
    }
  }
  return { added, removed, error: null };
}
