/**
 * The lab's topology as iproute2 commands, in the order build-network.ts
 * makes it: namespaces, then per host its NICs, bridges and veth pairs (so
 * the devices come in the same order), masters, addresses, links up, routes.
 *
 * A NIC is a veth pair whose other end is a port of its segment's switch
 * (a bridge in the segment's namespace): on the wire, that is what a cable
 * to a switch is. MAC addresses the lab leaves out are the ones the
 * simulator drew from its seed, so the real frames carry the same addresses
 * as the simulated ones. IPv6 is switched off in every namespace before any
 * device exists: the simulator speaks IPv4 only, and a kernel's router
 * solicitations and MLD reports would add frames it has no counterpart for.
 */
import type { NetworkState, TopologySpec } from "../engine/index.js";
import { comment, execIn, ipIn } from "./script-lines.js";
import { namespaceSuffix, SEGMENT_BRIDGE, segmentPortNames, segmentSuffix } from "./script-names.js";

type Host = TopologySpec["hosts"][number];

/** Every namespace the script makes, as suffixes of the prefix, in the order it makes them. */
export function namespaceSuffixes(spec: TopologySpec): string[] {
  const out = segmentsOf(spec).map(segmentSuffix);
  for (const h of spec.hosts) {
    out.push(namespaceSuffix(h.name, null));
    for (const n of h.namespaces ?? []) out.push(namespaceSuffix(h.name, n));
    for (const c of h.containers ?? []) if (c.network !== "host") out.push(namespaceSuffix(h.name, c.name));
  }
  return [...new Set(out)];
}

/** A namespace of one of the lab's hosts: the host's own ("root") or one inside it. */
export interface PlacedNamespace {
  host: string;
  namespace: string;
  suffix: string;
}

/** The hosts' namespaces the topology declares (not the segments'), in the order the script makes them. */
export function placedNamespaces(spec: TopologySpec): PlacedNamespace[] {
  return spec.hosts.flatMap((h) => [
    { host: h.name, namespace: "root", suffix: namespaceSuffix(h.name, null) },
    ...(h.namespaces ?? []).map((n) => ({ host: h.name, namespace: n, suffix: namespaceSuffix(h.name, n) })),
    ...(h.containers ?? []).filter((c) => c.network !== "host").map((c) => ({ host: h.name, namespace: c.name, suffix: namespaceSuffix(h.name, c.name) })),
  ]);
}

/** Segments, declared or only named by a NIC. */
function segmentsOf(spec: TopologySpec): string[] {
  const names = (spec.segments ?? []).map((s) => s.name);
  for (const h of spec.hosts) for (const n of h.nics ?? []) if (!names.includes(n.segment)) names.push(n.segment);
  return names;
}

/** The MAC the simulator gave a device (the lab's own when it set one). */
export function simulatedMac(state: NetworkState, host: string, ns: string | undefined, device: string): string | undefined {
  const h = state.hosts.find((x) => x.name === host);
  const space = h?.namespaces.find((x) => x.name === (ns ?? "root"));
  return space?.interfaces.find((i) => i.name === device)?.mac;
}

function linkOptions(mac: string | undefined, mtu: number | undefined): string[] {
  return [...(mac === undefined ? [] : ["address", mac]), ...(mtu === undefined ? [] : ["mtu", String(mtu)])];
}

export function broadcastFor(cidr: string): string[] {
  // As Docker, ifconfig and the simulator do: a broadcast address below /31.
  return Number(cidr.split("/")[1]) < 31 ? ["broadcast", "+"] : [];
}

export function namespaceLines(spec: TopologySpec): string[] {
  const lines = [comment("Namespaces: one per host, per container and per `ip netns` namespace, one per underlay segment.")];
  for (const suffix of namespaceSuffixes(spec)) lines.push(...namespaceSetupLines(suffix));
  return lines;
}

/** One namespace made: IPv6 off before any device exists, lo up. */
export function namespaceSetupLines(suffix: string): string[] {
  return [
    `ip netns add "\${P}${suffix}"`,
    execIn(suffix, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]),
    ipIn(suffix, ["link", "set", "lo", "up"]),
  ];
}

export function segmentLines(spec: TopologySpec): string[] {
  const lines: string[] = [];
  for (const seg of segmentsOf(spec)) {
    lines.push(comment(`Segment ${seg}: a switch (a bridge without STP) that the NICs on it are cabled to.`));
    lines.push(ipIn(segmentSuffix(seg), ["link", "add", SEGMENT_BRIDGE, "type", "bridge", "stp_state", "0"]));
    lines.push(ipIn(segmentSuffix(seg), ["link", "set", SEGMENT_BRIDGE, "up"]));
  }
  return lines;
}

export function hostLines(spec: TopologySpec, state: NetworkState): string[] {
  const cables = spec.hosts.flatMap((h) => (h.nics ?? []).map((n) => ({ host: h.name, nic: n.name, segment: n.segment })));
  const ports = segmentPortNames(cables);
  const portOf = new Map(cables.map((c, i) => [`${c.host}/${c.nic}`, ports[i]!]));
  return spec.hosts.flatMap((h) => oneHost(h, state, portOf));
}

function oneHost(h: Host, state: NetworkState, portOf: Map<string, string>): string[] {
  const lines = [comment(`Host ${h.name}.`)];
  const ns = (n: string | undefined) => namespaceSuffix(h.name, n);
  const ups: [string, string, boolean][] = [];
  const addresses: [string, string, string[]][] = [];

  for (const n of h.nics ?? []) {
    const port = portOf.get(`${h.name}/${n.name}`)!;
    const seg = segmentSuffix(n.segment);
    lines.push(comment(`NIC ${n.name}, cabled to segment ${n.segment} (switch port ${port}).`));
    lines.push(
      ipIn(ns(n.namespace), ["link", "add", n.name, ...linkOptions(simulatedMac(state, h.name, n.namespace, n.name), n.mtu), "type", "veth", "peer", "name", port, "netns", `__NS__${seg}`]),
    );
    lines.push(ipIn(seg, ["link", "set", port, "master", SEGMENT_BRIDGE, "up"]));
    ups.push([ns(n.namespace), n.name, n.up ?? true]);
    addresses.push([ns(n.namespace), n.name, n.addresses ?? []]);
  }
  for (const b of h.bridges ?? []) {
    const ageing = b.ageingTime === undefined ? [] : ["ageing_time", String(b.ageingTime * 100)];
    lines.push(ipIn(ns(b.namespace), ["link", "add", b.name, ...linkOptions(simulatedMac(state, h.name, b.namespace, b.name), b.mtu), "type", "bridge", "stp_state", "0", ...ageing]));
    ups.push([ns(b.namespace), b.name, b.up ?? true]);
    addresses.push([ns(b.namespace), b.name, b.addresses ?? []]);
  }
  const masters: string[] = [];
  for (const v of h.veths ?? []) {
    const a = ns(v.namespace);
    const b = ns(v.peer.namespace);
    const peerMac = simulatedMac(state, h.name, v.peer.namespace, v.peer.name);
    lines.push(
      ipIn(a, [
        "link", "add", v.name, ...linkOptions(simulatedMac(state, h.name, v.namespace, v.name), v.mtu),
        "type", "veth", "peer", "name", v.peer.name, ...linkOptions(peerMac, v.peer.mtu), "netns", `__NS__${b}`,
      ]),
    );
    for (const [space, end] of [[a, v], [b, v.peer]] as const) {
      if (end.master !== undefined) masters.push(ipIn(space, ["link", "set", end.name, "master", end.master]));
      ups.push([space, end.name, end.up ?? true]);
      addresses.push([space, end.name, end.addresses ?? []]);
    }
  }
  lines.push(...masters);
  for (const [space, dev, list] of addresses) for (const a of list) lines.push(ipIn(space, ["addr", "add", a, ...broadcastFor(a), "dev", dev]));
  for (const [space, dev, up] of ups) if (up) lines.push(ipIn(space, ["link", "set", dev, "up"]));
  if (h.forwarding === true) lines.push(execIn(ns(undefined), ["sysctl", "-qw", "net.ipv4.ip_forward=1"]));
  for (const r of h.routes ?? []) {
    lines.push(
      ipIn(ns(r.namespace), [
        "route", "add", r.to,
        ...(r.via === undefined ? [] : ["via", r.via]),
        ...(r.dev === undefined ? [] : ["dev", r.dev]),
        ...(r.metric === undefined ? [] : ["metric", String(r.metric)]),
        ...(r.onlink === true ? ["onlink"] : []),
      ]),
    );
  }
  return lines.map(expandNamespaceWords);
}

/** A namespace named as an argument (`netns X`) needs the prefix too: written as a bash expansion, not a quoted literal. */
export function expandNamespaceWords(line: string): string {
  return line.replace(/__NS__([A-Za-z0-9_.-]+)/g, (_m, suffix: string) => `"\${P}${suffix}"`);
}
