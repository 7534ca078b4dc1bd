/**
 * Builds a running Network from a validated TopologySpec (Mininet's build
 * step): hosts, namespaces, devices in declaration order (so ifindexes are
 * stable), addresses, bridge ports, routes, containers and services. The spec
 * must have passed validateTopology; this function trusts it.
 *
 * What the lab declares counts against the session's object limits
 * (options.limits, DEFAULT_LIMITS when absent) but is never refused: the
 * limits bound what students add. A lab bigger than the limits leaves no
 * room for that, which `net.quota.firstOver()` tells.
 */
import { Bridge } from "../link/bridge.js";
import type { Device } from "../link/device.js";
import { Nic } from "../link/nic.js";
import { Veth } from "../link/veth.js";
import type { NetNamespace } from "../stack/namespace.js";
import { parseIpv4CidrOrThrow, parseIpv4OrThrow } from "../wire/ipv4-address.js";
import { dockerBridge, newContainer, parsePublish, publishContainer, startProcesses } from "./containers.js";
import { installDockerRules, type PublishedPort } from "./docker-rules.js";
import { buildOverlay } from "./overlay.js";
import { buildCluster } from "../kube/build-cluster.js";
import { resolveImage } from "./images.js";
import { Network, type NetworkOptions, type SimHost } from "./network.js";
import { ROOT_NAMESPACE, type HostSpec, type TopologySpec } from "./topology-schema.js";

export function buildNetwork(spec: TopologySpec, options: NetworkOptions): Network {
  const net = new Network(options);
  net.quota.enforcing = false;
  for (const s of spec.segments ?? []) net.segment(s.name);
  for (const h of spec.hosts) buildHost(net, h);
  if (spec.overlay !== undefined) net.overlayLog.push(...buildOverlay(net, spec.overlay));
  if (spec.kubernetes !== undefined) net.kube = buildCluster(net, spec.kubernetes, spec.overlay);
  net.quota.enforcing = true;
  // Building emits no trace: the trace starts with the first command.
  net.trace.take();
  return net;
}

function buildHost(net: Network, spec: HostSpec): void {
  const host = net.addHost(spec.name);
  host.root.forwarding = spec.forwarding ?? false;
  for (const n of spec.namespaces ?? []) host.addNamespace(n);
  for (const c of spec.containers ?? []) if (c.network !== "host") host.addNamespace(c.name);
  const ns = (name: string | undefined): NetNamespace => host.namespaces.get(name ?? ROOT_NAMESPACE)!;
  const ctx = net.ctx;
  const pendingUp: [NetNamespace, Device, boolean][] = [];
  const addresses: [NetNamespace, Device, string[]][] = [];

  for (const n of spec.nics ?? []) {
    const space = ns(n.namespace);
    const dev = new Nic(ctx, space, space.allocIfindex(), n.name, n.mac ?? net.random.mac(), n.mtu ?? 1500, net.segment(n.segment));
    space.attach(dev);
    pendingUp.push([space, dev, n.up ?? true]);
    addresses.push([space, dev, n.addresses ?? []]);
  }
  for (const b of spec.bridges ?? []) {
    const space = ns(b.namespace);
    const dev = new Bridge(ctx, space, space.allocIfindex(), b.name, b.mac ?? net.random.mac(), b.mtu ?? 1500, b.ageingTime ?? 300);
    space.attach(dev);
    pendingUp.push([space, dev, b.up ?? true]);
    addresses.push([space, dev, b.addresses ?? []]);
  }
  for (const v of spec.veths ?? []) {
    const a = ns(v.namespace);
    const b = ns(v.peer.namespace);
    const ea = new Veth(ctx, a, a.allocIfindex(), v.name, v.mac ?? net.random.mac(), v.mtu ?? 1500);
    const eb = new Veth(ctx, b, b.allocIfindex(), v.peer.name, v.peer.mac ?? net.random.mac(), v.peer.mtu ?? 1500);
    Veth.pair(ea, eb);
    a.attach(ea);
    b.attach(eb);
    for (const [space, dev, end] of [[a, ea, v], [b, eb, v.peer]] as const) {
      if (end.master !== undefined) (space.device(end.master) as Bridge).enslave(dev);
      pendingUp.push([space, dev, end.up ?? true]);
      addresses.push([space, dev, end.addresses ?? []]);
    }
  }
  for (const [space, dev, list] of addresses) {
    for (const a of list) {
      const c = parseIpv4CidrOrThrow(a);
      space.addAddress(dev, c.address, c.prefixLength);
    }
  }
  for (const [space, dev, up] of pendingUp) if (up) space.setUp(dev, true);
  for (const r of spec.routes ?? []) {
    const space = ns(r.namespace);
    const dst = r.to === "default" ? { address: 0, prefixLength: 0 } : parseIpv4CidrOrThrow(r.to);
    const via = r.via === undefined ? null : parseIpv4OrThrow(r.via);
    const dev = r.dev ?? space.routes.lookup(via ?? 0, (x) => x.table === "main" && x.via === null).route?.dev ?? "lo";
    space.addRoute({
      table: "main",
      type: "unicast",
      dst: dst.address,
      prefixLength: dst.prefixLength,
      via,
      dev,
      proto: "boot",
      scope: via === null ? "link" : "global",
      src: null,
      metric: r.metric ?? 0,
      onlink: r.onlink ?? false,
    });
  }
  host.dockerBridge = spec.docker?.bridge ?? ((spec.bridges ?? []).some((b) => b.name === "docker0" && (b.namespace ?? ROOT_NAMESPACE) === ROOT_NAMESPACE) ? "docker0" : null);

  host.dockerIptables = spec.docker?.iptables ?? true;
  const docker = dockerBridge(host);
  if (docker !== null && host.dockerIptables) installDockerRules(host.root, docker.bridge.name, docker.gateway, docker.prefixLength);

  for (const c of spec.containers ?? []) {
    const image = resolveImage(c.image);
    const container = newContainer(host, c);
    const eth0 = ns(container.namespace).device("eth0");
    container.hostVeth = eth0 instanceof Veth && eth0.peer !== null ? eth0.peer.name : null;
    container.address = c.network === "host" ? null : (eth0?.addresses[0]?.address ?? null);
    host.containers.set(c.name, container);
    startProcesses(host, container, image.spec, c.listen ?? image.spec?.listen ?? []);
    publishContainer(host, container, (c.publish ?? []).map((p) => parsePublish(p)).filter((p): p is PublishedPort => typeof p !== "string"));
  }
  for (const s of spec.services ?? []) {
    const space = ns(s.namespace);
    for (const l of s.listen) {
      const [proto, port] = l.split("/");
      if (proto === "udp") space.sockets.bindUdp({ address: 0, port: Number(port), process: s.name, onDatagram: () => {} });
      else space.sockets.listenTcp({ address: 0, port: Number(port), process: s.name, serve: () => null });
    }
  }
}

export type { SimHost };
