/**
 * A cluster's objects at run time, as the API server holds them: nodes, pods
 * with their addresses and labels, Services, and the endpoints the endpoint
 * controller derives from them (the ready pods a Service's selector picks,
 * each at the port's targetPort; the unready ones listed apart). kubectl
 * reads and changes these; after every change kube-proxy resyncs
 * (proxier.ts), as it does when its informers see an update.
 */
import type { CniNode } from "./cni-config.js";
import type { Attachment } from "./cni-plugins.js";
import type { Deployment } from "./deployment.js";
import type { HostLocal } from "./host-local.js";
import type { KubernetesSpec } from "./kube-schema.js";
import type { NetworkPolicy } from "./network-policy.js";
import type { ProbeFailure, ProbeWorker, ReadinessProbe } from "./readiness-probe.js";

export interface Pod {
  name: string;
  namespace: string;
  node: string;
  netns: string;
  labels: Record<string, string>;
  ready: boolean;
  ip: number;
  /** Virtual µs. */
  created: number;
  /** What the CNI chain made for it (absent for a pod whose namespace the lab's topology declares). */
  attachment?: Attachment;
  /** The Deployment whose ReplicaSet made it. */
  owner?: string;
  /** The ports its process listens on. */
  serve?: number[];
  /** Its container's readiness probe, run by the kubelet (readiness-probe.ts); without one, `ready` is as the lab set it. */
  probe?: ReadinessProbe;
  prober?: ProbeWorker;
  /** The files of its container that probes and `kubectl exec` see (absolute paths). */
  files: Set<string>;
  /** Its failed probes, aggregated as the kubelet's event recorder does. */
  probeFailures: ProbeFailure[];
}

export interface ServicePort {
  name: string | null;
  protocol: "TCP" | "UDP";
  port: number;
  targetPort: number;
  nodePort: number | null;
}

export interface Service {
  name: string;
  namespace: string;
  type: "ClusterIP" | "NodePort";
  /** null for a headless Service (clusterIP: None). */
  clusterIP: number | null;
  selector: Record<string, string>;
  ports: ServicePort[];
  externalTrafficPolicy: "Cluster" | "Local";
  sessionAffinity: "None" | "ClientIP";
  affinityTimeout: number;
  created: number;
}

export interface Endpoint {
  ip: number;
  port: number;
  node: string;
  pod: string;
}

export const key = (namespace: string, name: string) => `${namespace}/${name}`;

/** ServicePortName.String(): "ns/name", with ":port-name" for a named port. */
export function servicePortName(s: Service, p: ServicePort): string {
  return `${s.namespace}/${s.name}${p.name === null ? "" : `:${p.name}`}`;
}

export function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  const keys = Object.keys(selector);
  // A Service without a selector has no endpoints the controller manages.
  return keys.length > 0 && keys.every((k) => labels[k] === selector[k]);
}

export class Cluster {
  readonly pods = new Map<string, Pod>();
  readonly services = new Map<string, Service>();
  /** Namespaces' labels, by name (what a NetworkPolicy's namespaceSelector reads). */
  readonly namespaceLabels = new Map<string, Record<string, string>>();
  readonly networkPolicies = new Map<string, NetworkPolicy>();
  /** The controller enforcing them on every node, or null: stored, not enforced (flannel alone). */
  policyController: "kube-router" | null = null;
  /** The kubelet's clusterDNS and clusterDomain, when pods get the cluster's resolver. */
  dns: { nameserver: number; domain: string } | null = null;
  readonly deployments = new Map<string, Deployment>();
  /** Per node, when pods are attached by the CNI chain: its lease and host-local's state. */
  readonly cni = new Map<string, { node: CniNode; ipam: HostLocal }>();
  /** Per node, the ready endpoints ("ip:port") of each service port at kube-proxy's last sync, keyed by port name and protocol. */
  readonly proxySynced = new Map<string, Map<string, string[]>>();

  constructor(
    readonly nodes: string[],
    readonly clusterCidr: string,
    readonly serviceCidr: string,
    /** Virtual µs at which the cluster's first objects were made. */
    readonly created: number,
  ) {}

  static specOf(spec: KubernetesSpec): { serviceCidr: string } {
    return { serviceCidr: spec.serviceCidr ?? "10.96.0.0/12" };
  }

  /** Pods the Service's selector picks, in its namespace, ordered by address (as EndpointSlices list them). */
  selected(s: Service): Pod[] {
    return [...this.pods.values()].filter((p) => p.namespace === s.namespace && selects(s.selector, p.labels)).sort((a, b) => a.ip - b.ip || (a.name < b.name ? -1 : 1));
  }

  /** One port's endpoints: ready and not ready. */
  endpoints(s: Service, p: ServicePort): { ready: Endpoint[]; notReady: Endpoint[] } {
    const ready: Endpoint[] = [];
    const notReady: Endpoint[] = [];
    for (const pod of this.selected(s)) (pod.ready ? ready : notReady).push({ ip: pod.ip, port: p.targetPort, node: pod.node, pod: pod.name });
    return { ready, notReady };
  }

  sortedServices(): Service[] {
    return [...this.services.values()].sort((a, b) => (key(a.namespace, a.name) < key(b.namespace, b.name) ? -1 : 1));
  }
}
