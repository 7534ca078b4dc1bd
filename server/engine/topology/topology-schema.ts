/**
 * The shape of a topology as data (Mininet's addHost/addSwitch/addLink, written
 * down): hosts on underlay segments, and inside each host its namespaces,
 * containers, bridges, veth pairs, NICs, routes and listening services.
 *
 * This file is only the structural schema (types, patterns, ranges). What the
 * schema cannot say (a veth end in a missing namespace, a duplicate IP in a
 * subnet, a port in two bridges…) is checked by validate-topology.ts, and the
 * running network is built from it by build-network.ts.
 *
 * Every device has a `namespace`; omitted, it is the host's root namespace
 * ("root"). A container with `network: bridge` or `none` owns a namespace named
 * after the container; `network: host` shares the root namespace, as
 * `docker run --net=host` does.
 */
import { Type, type Static } from "typebox";
import { kubernetesSchema } from "../kube/kube-schema.js";

export const ROOT_NAMESPACE = "root";

const IPV4 = "(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}";
export const Ipv4Address = Type.String({ pattern: `^${IPV4}$`, description: "dotted-quad IPv4 address" });
export const Ipv4Cidr = Type.String({
  pattern: `^${IPV4}/([0-9]|[12][0-9]|3[0-2])$`,
  description: "IPv4 address with prefix length, e.g. 172.17.0.2/16",
});
export const MacAddress = Type.String({
  pattern: "^[0-9a-f]{2}(:[0-9a-f]{2}){5}$",
  description: "MAC address, lower-case, colon-separated",
});
/** Linux limits interface names to IFNAMSIZ-1 = 15 bytes, no '/' or whitespace. */
export const InterfaceName = Type.String({ pattern: "^[A-Za-z0-9_.@:-]{1,15}$", description: "interface name (at most 15 characters)" });
export const ObjectName = Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]{0,62}$", description: "lower-case name: letters, digits, '.', '_' or '-'" });
const NamespaceRef = Type.String({ pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", description: "namespace name; 'root' is the host's own" });

const InterfaceCommon = {
  namespace: Type.Optional(NamespaceRef),
  mac: Type.Optional(MacAddress),
  mtu: Type.Optional(Type.Integer({ minimum: 68, maximum: 65535 })),
  addresses: Type.Optional(Type.Array(Ipv4Cidr, { maxItems: 16 })),
  /** Administrative state; an interface comes up unless told otherwise. */
  up: Type.Optional(Type.Boolean()),
};

export const NicSpec = Type.Object(
  { name: InterfaceName, segment: ObjectName, ...InterfaceCommon },
  { additionalProperties: false, description: "a physical NIC (eth0) plugged into an underlay segment" },
);

export const BridgeSpec = Type.Object(
  {
    name: InterfaceName,
    ...InterfaceCommon,
    /** FDB ageing in seconds of virtual time (Linux default 300). */
    ageingTime: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000 })),
  },
  { additionalProperties: false },
);

export const VethEndSpec = Type.Object(
  {
    name: InterfaceName,
    ...InterfaceCommon,
    /** Enslave this end to a bridge in the same namespace (ip link set X master docker0). */
    master: Type.Optional(InterfaceName),
  },
  { additionalProperties: false },
);

export const VethSpec = Type.Object(
  {
    name: InterfaceName,
    ...InterfaceCommon,
    master: Type.Optional(InterfaceName),
    peer: VethEndSpec,
  },
  { additionalProperties: false, description: "a veth pair: this end and its peer, possibly in different namespaces" },
);

export const RouteSpec = Type.Object(
  {
    namespace: Type.Optional(NamespaceRef),
    to: Type.Union([Type.Literal("default"), Ipv4Cidr]),
    via: Type.Optional(Ipv4Address),
    dev: Type.Optional(InterfaceName),
    metric: Type.Optional(Type.Integer({ minimum: 0, maximum: 4294967295 })),
    onlink: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const ListenSpec = Type.String({
  pattern: "^(tcp|udp)/[0-9]{1,5}$",
  description: "a listening socket, e.g. tcp/80",
});

export const PublishSpec = Type.String({
  pattern: "^[0-9]{1,5}:[0-9]{1,5}(/(tcp|udp))?$",
  description: "a published port, hostPort:containerPort[/tcp|udp]",
});

export const ContainerSpec = Type.Object(
  {
    name: ObjectName,
    /** 64 hex digits as Docker makes them; derived from the seed when omitted. */
    id: Type.Optional(Type.String({ pattern: "^[0-9a-f]{12}([0-9a-f]{52})?$" })),
    image: Type.String({ minLength: 1, maxLength: 128 }),
    network: Type.Union([Type.Literal("bridge"), Type.Literal("host"), Type.Literal("none")]),
    /** Sockets opened by the container's process; the image's defaults when omitted (nginx: tcp/80). */
    listen: Type.Optional(Type.Array(ListenSpec, { maxItems: 32 })),
    /** Published ports as `docker run -p` takes them: "8080:80" or "8080:80/udp". */
    publish: Type.Optional(Type.Array(PublishSpec, { maxItems: 32 })),
  },
  { additionalProperties: false },
);

export const ServiceSpec = Type.Object(
  {
    name: ObjectName,
    namespace: Type.Optional(NamespaceRef),
    listen: Type.Array(ListenSpec, { minItems: 1, maxItems: 32 }),
  },
  { additionalProperties: false, description: "a process on the host (not in a container) with listening sockets" },
);

export const HostSpec = Type.Object(
  {
    name: ObjectName,
    /** net.ipv4.ip_forward of the root namespace (Docker turns it on). */
    forwarding: Type.Optional(Type.Boolean()),
    /** Plain network namespaces (ip netns add), not belonging to a container. */
    namespaces: Type.Optional(Type.Array(ObjectName, { maxItems: 256 })),
    // A thousand containers on one bridge is the size the scale benchmark (bench/scale.ts) builds.
    containers: Type.Optional(Type.Array(ContainerSpec, { maxItems: 1024 })),
    nics: Type.Optional(Type.Array(NicSpec, { maxItems: 16 })),
    bridges: Type.Optional(Type.Array(BridgeSpec, { maxItems: 64 })),
    veths: Type.Optional(Type.Array(VethSpec, { maxItems: 512 })),
    routes: Type.Optional(Type.Array(RouteSpec, { maxItems: 1024 })),
    services: Type.Optional(Type.Array(ServiceSpec, { maxItems: 64 })),
    /** Which bridge `docker run` attaches new containers to; docker0 when it exists. */
    docker: Type.Optional(
      Type.Object(
        {
          bridge: InterfaceName,
          /** Whether the daemon manages iptables (MASQUERADE, published ports, FORWARD rules); Docker's default is true. */
          iptables: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const SegmentSpec = Type.Object(
  { name: ObjectName, description: Type.Optional(Type.String({ maxLength: 200 })) },
  { additionalProperties: false, description: "an underlay L2 segment (a physical switch) joining hosts' NICs" },
);

export const OverlaySpec = Type.Object(
  {
    /** How pod traffic crosses hosts: flannel's VXLAN, UDP or host-gw backends, or Calico. */
    backend: Type.Union([Type.Literal("flannel-vxlan"), Type.Literal("flannel-udp"), Type.Literal("host-gw"), Type.Literal("calico")]),
    /** Calico: routes learnt over BGP straight on the underlay (bgp), or through the tunl0 IPIP tunnel (ipip) for hosts in different subnets. */
    mode: Type.Optional(Type.Union([Type.Literal("bgp"), Type.Literal("ipip")])),
    /** The cluster's pod network, e.g. 10.244.0.0/16. */
    network: Ipv4Cidr,
    /** The subnet lease of each host, as flannel keeps them in etcd: { node1: 10.244.1.0/24 }. */
    subnets: Type.Record(Type.String({ pattern: "^[a-z0-9][a-z0-9_.-]{0,62}$" }), Ipv4Cidr),
    /** The underlay interface the overlay uses on every host (default eth0). */
    interface: Type.Optional(InterfaceName),
    /** VXLAN: VNI (default 1) and UDP port (default 8472, Linux's and flannel's). */
    vni: Type.Optional(Type.Integer({ minimum: 0, maximum: 16777215 })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  },
  { additionalProperties: false, description: "the overlay network joining the hosts' pod subnets (the chapter's \"special bridge\")" },
);

export const TopologySpec = Type.Object(
  {
    segments: Type.Optional(Type.Array(SegmentSpec, { maxItems: 16 })),
    hosts: Type.Array(HostSpec, { minItems: 1, maxItems: 64 }),
    /** Reserved for netfilter rules (NAT, filter) beyond Docker's defaults. */
    netfilter: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }))),
    overlay: Type.Optional(OverlaySpec),
    /** A Kubernetes cluster on these hosts: nodes, pods and Services (kube/kube-schema.ts). */
    kubernetes: Type.Optional(kubernetesSchema({ Ipv4Address, Ipv4Cidr, ObjectName })),
  },
  { additionalProperties: false },
);

export type TopologySpec = Static<typeof TopologySpec>;
export type HostSpec = Static<typeof HostSpec>;
export type ContainerSpec = Static<typeof ContainerSpec>;
export type VethSpec = Static<typeof VethSpec>;
export type VethEndSpec = Static<typeof VethEndSpec>;
export type BridgeSpec = Static<typeof BridgeSpec>;
export type NicSpec = Static<typeof NicSpec>;
export type RouteSpec = Static<typeof RouteSpec>;
export type ServiceSpec = Static<typeof ServiceSpec>;
export type OverlaySpec = Static<typeof OverlaySpec>;
