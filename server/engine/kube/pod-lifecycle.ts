/**
 * A pod coming and going on a node where the CNI chain attaches pods: the
 * kubelet asks the runtime for the sandbox (ADD through cni-plugins.ts),
 * then starts the pod's process; deleting it stops the process and runs
 * DEL. A pod whose network namespace the lab's topology declares has no
 * attachment: deleting it removes that namespace, veth and all, as DEL
 * would. kube-proxy's resync is the caller's, once per change.
 */
import type { NetNamespace } from "../stack/namespace.js";
import type { Network } from "../topology/network.js";
import { cniAdd, cniDel, type AttachError } from "./cni-plugins.js";
import { key, type Cluster, type Pod } from "./cluster.js";
import { syncProxies } from "./proxier.js";
import { startProber, stopProber, type ReadinessProbe } from "./readiness-probe.js";

const encoder = new TextEncoder();

/** serve_hostname's answer: its hostname, which is the pod's name, as the whole body. */
function hostnameReply(pod: string): Uint8Array {
  const head = `HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: ${pod.length}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n`;
  return encoder.encode(head + pod);
}

export function podProcess(pod: Pod): string {
  return `serve_hostname/${pod.name}`;
}

/** The pod's process opens its ports in the pod's namespace. */
export function startPod(ns: NetNamespace, pod: Pod, ports: number[]): void {
  for (const port of ports) ns.sockets.listenTcp({ address: 0, port, process: podProcess(pod), serve: () => hostnameReply(pod.name) });
}

/**
 * The kubelet starts the pod's readiness prober, if it has a probe; a flip of its readiness
 * changes the endpoints, and every node's kube-proxy (and policy controller) resyncs.
 * `settled`: the pod has been running a while (a lab's start), its probe's verdict already standing.
 */
export function startReadiness(net: Network, cluster: Cluster, pod: Pod, settled: boolean): void {
  if (pod.probe === undefined) return;
  pod.prober = startProber(net, pod, pod.probe, () => syncProxies(net, cluster), settled);
}

export type PodError = AttachError | { kind: "no-cni"; node: string };

export interface NewPod {
  name: string;
  namespace: string;
  node: string;
  labels: Record<string, string>;
  serve: number[];
  owner?: string;
  created: number;
  probe?: ReadinessProbe;
  files?: string[];
  /** Made at the lab's start: its probe's verdict already standing. */
  settled?: boolean;
}

/** Runs ADD and starts the pod: the pod, or why its sandbox could not be made. */
export function createPod(net: Network, cluster: Cluster, p: NewPod): Pod | PodError {
  const cni = cluster.cni.get(p.node);
  if (cni === undefined) return { kind: "no-cni", node: p.node };
  const host = net.hosts.get(p.node)!;
  const attached = cniAdd(net, host, cni.node, cni.ipam, p.name);
  if (!("containerId" in attached)) return attached;
  const pod: Pod = {
    name: p.name,
    namespace: p.namespace,
    node: p.node,
    netns: attached.netns,
    labels: { ...p.labels },
    ready: true,
    ip: attached.ip,
    created: p.created,
    attachment: attached,
    serve: [...p.serve],
    files: new Set(p.files ?? []),
    probeFailures: [],
    ...(p.owner === undefined ? {} : { owner: p.owner }),
    ...(p.probe === undefined ? {} : { probe: p.probe }),
  };
  cluster.pods.set(key(pod.namespace, pod.name), pod);
  startPod(host.namespaces.get(pod.netns)!, pod, p.serve);
  startReadiness(net, cluster, pod, p.settled ?? false);
  return pod;
}

/** The kubelet stops the pod's process and the CNI chain's DEL removes its network namespace, veth and all. */
export function removePod(net: Network, cluster: Cluster, pod: Pod): void {
  if (pod.prober !== undefined) stopProber(pod.prober);
  const host = net.hosts.get(pod.node);
  host?.namespaces.get(pod.netns)?.sockets.closeProcess(podProcess(pod));
  const cni = cluster.cni.get(pod.node);
  if (host !== undefined && pod.attachment !== undefined && cni !== undefined) cniDel(host, cni.ipam, pod.attachment);
  else host?.deleteNamespace(pod.netns);
  cluster.pods.delete(key(pod.namespace, pod.name));
}
