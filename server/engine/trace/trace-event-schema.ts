/**
 * The JSON schema of a trace event, for clients of the trace stream and for
 * docs/trace-event.schema.json. The TypeScript union in trace-event.ts is
 * what the engine builds; test/engine/trace/trace-event-schema.test.ts checks
 * at compile time that the two describe the same shape, and at run time that
 * real events validate.
 */
import { Type, type TSchema } from "typebox";
import type { DecodedFrame } from "../wire/packet.js";
import { DROP_REASONS, NEIGHBOUR_STATES } from "./trace-event.js";

const Base = {
  seq: Type.Integer({ minimum: 0, description: "dense per network, from 0" }),
  time: Type.Integer({ minimum: 0, description: "virtual time, microseconds" }),
  host: Type.String(),
  namespace: Type.String(),
  device: Type.Union([Type.String(), Type.Null()]),
  packetId: Type.Union([Type.Integer({ minimum: 1 }), Type.Null()]),
  layers: Type.Union([
    Type.Unsafe<DecodedFrame>(Type.Array(Type.Object({ kind: Type.String() }, { additionalProperties: true }), { description: "decoded layers, outermost first" })),
    Type.Null(),
  ]),
  summary: Type.String(),
};

const Str = Type.String();
const NullableStr = Type.Union([Type.String(), Type.Null()]);

const TunnelFields = {
  tunnel: Type.Union([Type.Literal("vxlan"), Type.Literal("flannel-udp"), Type.Literal("ipip")]),
  outer: Str,
  vni: Type.Union([Type.Integer(), Type.Null()]),
  inner: Str,
};

function variant<K extends string, P extends Record<string, TSchema>>(kind: K, props: P, description: string) {
  return Type.Object({ ...Base, kind: Type.Literal(kind), ...props }, { additionalProperties: false, description });
}

export const TraceEventSchema = Type.Union(
  [
    variant("frame-tx", { length: Type.Integer() }, "a device puts a frame on its medium"),
    variant("frame-rx", { length: Type.Integer() }, "a device receives a frame"),
    variant("bridge-learn", { bridge: Str, port: Str, mac: Str, previousPort: NullableStr }, "a bridge learns or moves a MAC"),
    variant("bridge-flood", { bridge: Str, ingress: Str, egress: Type.Array(Str) }, "a bridge floods to every other forwarding port"),
    variant("bridge-forward", { bridge: Str, ingress: Str, egress: Str, mac: Str }, "a bridge forwards to the one port its FDB names"),
    variant("bridge-local", { bridge: Str, ingress: Str }, "a bridge passes a frame up to the host's stack"),
    variant("fdb-age-out", { bridge: Str, port: Str, mac: Str, idleSeconds: Type.Number() }, "a learnt FDB entry ages out"),
    variant("arp-request", { targetIp: Str, senderIp: Str, senderMac: Str, unicast: Type.Boolean() }, "the stack sends an ARP request"),
    variant("arp-reply", { senderIp: Str, senderMac: Str, targetIp: Str, targetMac: Str, proxy: Type.Boolean() }, "the stack answers an ARP request"),
    variant(
      "neigh-state",
      { ip: Str, mac: NullableStr, from: Type.Enum(NEIGHBOUR_STATES), to: Type.Enum(NEIGHBOUR_STATES), reason: Str },
      "a neighbour entry changes state",
    ),
    variant(
      "route-lookup",
      { destination: Str, table: Str, route: NullableStr, nextHop: NullableStr, outDevice: NullableStr, reason: Str, candidates: Type.Integer() },
      "a routing decision",
    ),
    variant("ip-forward", { inDevice: Str, outDevice: Str, ttl: Type.Integer() }, "a packet is forwarded"),
    variant("ip-local", { protocol: Str, inDevice: Str }, "a packet is delivered locally"),
    variant(
      "ip-fragment",
      { outDevice: Str, mtu: Type.Integer(), length: Type.Integer(), fragments: Type.Integer() },
      "a packet larger than the device's MTU is sent as fragments",
    ),
    variant("ip-reassemble", { length: Type.Integer(), fragments: Type.Integer() }, "a fragmented datagram is joined again"),
    variant("icmp-echo", { id: Type.Integer(), sequence: Type.Integer(), to: Str }, "the kernel answers an echo request"),
    variant("icmp-error", { type: Type.Integer(), code: Type.Integer(), message: Str, to: Str }, "the kernel sends an ICMP error"),
    variant(
      "socket-deliver",
      { protocol: Type.Union([Type.Literal("tcp"), Type.Literal("udp"), Type.Literal("icmp")]), port: Type.Integer(), process: Str },
      "data reaches a socket",
    ),
    variant("tcp-state", { local: Str, remote: Str, from: Str, to: Str }, "a TCP connection changes state"),
    variant("netfilter", { table: Str, chain: Str, rule: Str, target: Str }, "an iptables rule (or a chain policy) matched"),
    variant(
      "nat",
      {
        type: Type.Union([Type.Literal("SNAT"), Type.Literal("DNAT"), Type.Literal("MASQUERADE"), Type.Literal("un-SNAT"), Type.Literal("un-DNAT")]),
        field: Type.Union([Type.Literal("source"), Type.Literal("destination")]),
        from: Str,
        to: Str,
      },
      "an address (and port) rewritten by NAT",
    ),
    variant("conntrack", { protocol: Str, orig: Str, reply: Str, state: Str }, "a new flow is tracked"),
    variant("encap", TunnelFields, "a packet or frame is wrapped for a tunnel"),
    variant("decap", TunnelFields, "a tunnel's packet is unwrapped"),
    variant(
      "tunnel-user",
      { process: Str, action: Type.Union([Type.Literal("read"), Type.Literal("lookup"), Type.Literal("write")]), detail: Str },
      "a user-space tunnel daemon's step (flanneld)",
    ),
    variant(
      "cni",
      { command: Type.Union([Type.Literal("ADD"), Type.Literal("DEL")]), plugin: Str, containerId: Str, ifName: Str, netns: Str, detail: Str },
      "one CNI plugin run for a pod (flannel, bridge, host-local, portmap)",
    ),
    variant(
      "probe",
      { pod: Str, probe: Str, result: Type.Union([Type.Literal("success"), Type.Literal("failure")]), ready: Type.Boolean(), detail: Str },
      "the kubelet runs a pod's readiness probe, and the result counts toward a flip of its readiness",
    ),
    variant("proxy-sync", { service: Str, endpoints: Str, detail: Str }, "kube-proxy rewrites a service port's rules after its ready endpoints changed"),
    variant("drop", { reason: Type.Enum(DROP_REASONS), detail: Str }, "a frame or packet goes no further"),
  ],
  { $id: "https://cnlab.dev/schemas/trace-event.json", title: "cnlab trace event" },
);
