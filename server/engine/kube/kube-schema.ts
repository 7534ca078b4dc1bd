/**
 * Kubernetes objects as lab data: the nodes kube-proxy runs on, pods (which
 * network namespace of which node each one is, its labels, whether it is
 * ready, what it serves) and Services (ClusterIP or NodePort, selector,
 * ports, traffic policy, session affinity). The API server's view of the
 * cluster, written down; validate-kube.ts checks what a schema cannot say,
 * and cluster.ts keeps it at run time, where kubectl changes it and
 * kube-proxy (proxier.ts) follows.
 *
 * Pods here do not make their own network: they name a namespace the
 * topology already builds (as the CNI bridge plugin would have), so a lab
 * shows exactly the devices it declares.
 */
import { Type, type Static, type TString } from "typebox";
import { networkPolicySchema } from "./network-policy-schema.js";
import { filesSchema, probeSchema } from "./probe-schema.js";

/** The topology's own primitives, passed in by topology-schema.ts (which embeds this schema: importing them here would make a cycle). */
export interface SchemaPrimitives {
  Ipv4Address: TString;
  Ipv4Cidr: TString;
  ObjectName: TString;
}

/** A DNS-1123 label, as Kubernetes names namespaces, Services and label values. */
const KubeName = Type.String({ pattern: "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$", description: "a DNS-1123 label: lower-case letters, digits and '-'" });
const Labels = Type.Record(
  Type.String({ pattern: "^([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$" }),
  Type.String({ pattern: "^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$" }),
  { description: "labels: key → value" },
);

const PodServeSpec = Type.Object(
  {
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    /**
     * What the process answers: over HTTP its pod's name, as registry.k8s.io/serve_hostname does
     * ("hostname"), or DNS queries over UDP as CoreDNS's kubernetes plugin does ("dns", dns-server.ts).
     */
    reply: Type.Union([Type.Literal("hostname"), Type.Literal("dns")]),
  },
  { additionalProperties: false },
);

/** The cluster's schema, made from the topology's primitives. */
export function kubernetesSchema({ Ipv4Address, Ipv4Cidr, ObjectName }: SchemaPrimitives) {
  const PodSpec = Type.Object(
    {
      name: KubeName,
      namespace: Type.Optional(KubeName),
      /** The host (a node) the pod runs on. */
      node: ObjectName,
      /** The network namespace on that node holding the pod's eth0; the pod's name when omitted. */
      netns: Type.Optional(ObjectName),
      labels: Type.Optional(Labels),
      /** Whether it is ready, for a pod without readinessProbe; an unready pod is no Service's endpoint. Default true. */
      ready: Type.Optional(Type.Boolean()),
      serve: Type.Optional(Type.Array(PodServeSpec, { maxItems: 8 })),
      /** Checked by the kubelet every periodSeconds: readiness follows it at run time. */
      readinessProbe: Type.Optional(probeSchema),
      files: Type.Optional(filesSchema),
    },
    { additionalProperties: false },
  );

  const ServicePortSpec = Type.Object(
    {
      name: Type.Optional(KubeName),
      protocol: Type.Optional(Type.Union([Type.Literal("TCP"), Type.Literal("UDP")])),
      port: Type.Integer({ minimum: 1, maximum: 65535 }),
      /** The pods' port; the Service's port when omitted. */
      targetPort: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
      /** NodePort Services: 30000-32767, the API server's default range. */
      nodePort: Type.Optional(Type.Integer({ minimum: 30000, maximum: 32767 })),
    },
    { additionalProperties: false },
  );

  const ServiceSpec = Type.Object(
    {
      name: KubeName,
      namespace: Type.Optional(KubeName),
      type: Type.Optional(Type.Union([Type.Literal("ClusterIP"), Type.Literal("NodePort")])),
      /** "None" makes a headless Service: no virtual address, kube-proxy writes nothing, DNS answers with the pods' addresses. */
      clusterIP: Type.Union([Ipv4Address, Type.Literal("None")]),
      selector: Labels,
      ports: Type.Array(ServicePortSpec, { minItems: 1, maxItems: 16 }),
      externalTrafficPolicy: Type.Optional(Type.Union([Type.Literal("Cluster"), Type.Literal("Local")])),
      sessionAffinity: Type.Optional(Type.Union([Type.Literal("None"), Type.Literal("ClientIP")])),
      /** sessionAffinityConfig.clientIP.timeoutSeconds (default 10800). */
      sessionAffinityTimeout: Type.Optional(Type.Integer({ minimum: 1, maximum: 86400 })),
    },
    { additionalProperties: false },
  );

  /** A Deployment: its ReplicaSet's pods, attached by the CNI chain and placed by the scheduler (deployment.ts). */
  const DeploymentSpec = Type.Object(
    {
      name: KubeName,
      namespace: Type.Optional(KubeName),
      replicas: Type.Integer({ minimum: 0, maximum: 32 }),
      /** The pod template's labels, which are also its selector's matchLabels. */
      labels: Labels,
      serve: Type.Optional(Type.Array(PodServeSpec, { maxItems: 8 })),
      readinessProbe: Type.Optional(probeSchema),
      files: Type.Optional(filesSchema),
    },
    { additionalProperties: false },
  );

  return Type.Object(
    {
      /** The hosts that are nodes: each runs kube-proxy in its root namespace. */
      nodes: Type.Array(ObjectName, { minItems: 1, maxItems: 16 }),
      /** The cluster's pod network (kube-proxy's --cluster-cidr: traffic from outside it to a ClusterIP is masqueraded). */
      clusterCidr: Ipv4Cidr,
      /** The Service network the cluster IPs come from (default 10.96.0.0/12). */
      serviceCidr: Type.Optional(Ipv4Cidr),
      pods: Type.Optional(Type.Array(PodSpec, { maxItems: 128 })),
      services: Type.Optional(Type.Array(ServiceSpec, { maxItems: 64 })),
      /** The kubelet's clusterDNS: the nameserver written into every pod's /etc/resolv.conf (the kube-dns Service's address). */
      clusterDns: Type.Optional(Ipv4Address),
      /** The kubelet's clusterDomain (default cluster.local): the search path's suffix and the zone CoreDNS serves. */
      clusterDomain: Type.Optional(Type.String({ pattern: "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", maxLength: 100 })),
      /** Namespaces with their labels (what a policy's namespaceSelector reads); "default" and those pods use exist without being listed. */
      namespaces: Type.Optional(Type.Array(Type.Object({ name: KubeName, labels: Type.Optional(Labels) }, { additionalProperties: false }), { maxItems: 16 })),
      /** The controller that enforces NetworkPolicies on every node; without one (flannel alone) policies are stored and do nothing. */
      networkPolicyController: Type.Optional(Type.Literal("kube-router")),
      networkPolicies: Type.Optional(Type.Array(networkPolicySchema({ KubeName, Labels }), { maxItems: 16 })),
      /**
       * Pods attached by each node's CNI chain (kube/cni-plugins.ts): flannel delegating to bridge and host-local over the
       * node's lease in the topology's flannel overlay, then portmap. A pod whose network namespace the topology does not declare is attached this way.
       */
      cni: Type.Optional(
        Type.Object(
          {
            plugin: Type.Literal("flannel"),
            /** The delegate's hairpinMode: kube-flannel.yml's true when omitted. */
            hairpinMode: Type.Optional(Type.Boolean()),
          },
          { additionalProperties: false },
        ),
      ),
      deployments: Type.Optional(Type.Array(DeploymentSpec, { maxItems: 16 })),
    },
    { additionalProperties: false, description: "a Kubernetes cluster on the topology's hosts: nodes, pods and Services" },
  );
}

export type KubernetesSpec = Static<ReturnType<typeof kubernetesSchema>>;
export type PodSpec = NonNullable<KubernetesSpec["pods"]>[number];
export type KubeServiceSpec = NonNullable<KubernetesSpec["services"]>[number];
export type NetworkPolicySpec = NonNullable<KubernetesSpec["networkPolicies"]>[number];
export type DeploymentSpec = NonNullable<KubernetesSpec["deployments"]>[number];
