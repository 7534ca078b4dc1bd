/**
 * The checks a structural schema cannot make: names that must exist or be
 * unique, addresses that must not collide, bridges that must be consistent.
 * Each issue names the offending field as a JSON pointer into the topology
 * (so the lab loader can point at the YAML line) and says what is wrong in
 * the words `ip` would use. An empty list means build-network can build it.
 */
import { cidrNetwork, formatIpv4, parseIpv4, parseIpv4Cidr, prefixMask } from "../wire/ipv4-address.js";
import { ROOT_NAMESPACE, type HostSpec, type TopologySpec } from "./topology-schema.js";
import { validateKubernetes } from "../kube/validate-kube.js";

export interface TopologyIssue {
  /** JSON pointer into the topology, e.g. /hosts/0/veths/1/peer/namespace. */
  path: string;
  message: string;
}

interface Declared {
  path: string;
  namespace: string;
  name: string;
  kind: "nic" | "bridge" | "veth";
  addresses: string[] | undefined;
  mac: string | undefined;
  master: string | undefined;
  /** For a veth end: the bridge its peer is enslaved to, which puts this end on that bridge's L2 domain. */
  peerDomain?: { namespace: string; master: string };
}

export function validateTopology(spec: TopologySpec): TopologyIssue[] {
  const issues: TopologyIssue[] = [];
  const segments = new Set<string>();
  (spec.segments ?? []).forEach((s, i) => {
    if (segments.has(s.name)) issues.push({ path: `/segments/${i}/name`, message: `segment "${s.name}" is declared twice` });
    segments.add(s.name);
  });
  if (spec.overlay !== undefined) issues.push(...validateOverlay(spec));
  issues.push(...validateKubernetes(spec));
  if (spec.netfilter !== undefined && spec.netfilter.length > 0) issues.push({ path: "/netfilter", message: "netfilter rules are not supported by this engine version" });

  const hostNames = new Set<string>();
  const macs = new Map<string, string>();
  /** Addresses on one L2 domain must be unique; we check per host and, for NICs, per segment. */
  const segmentAddresses = new Map<string, Map<number, string>>();
  spec.hosts.forEach((host, h) => {
    const hp = `/hosts/${h}`;
    if (hostNames.has(host.name)) issues.push({ path: `${hp}/name`, message: `host "${host.name}" is declared twice` });
    hostNames.add(host.name);
    validateHost(host, hp, segments, macs, segmentAddresses, issues);
  });
  return issues;
}

function validateOverlay(spec: TopologySpec): TopologyIssue[] {
  const o = spec.overlay!;
  const issues: TopologyIssue[] = [];
  const network = parseIpv4Cidr(o.network);
  if (!network.ok) return [{ path: "/overlay/network", message: `invalid CIDR "${o.network}": ${network.error}` }];
  const iface = o.interface ?? "eth0";
  const seen: { host: string; cidr: { address: number; prefixLength: number } }[] = [];
  for (const [host, subnet] of Object.entries(o.subnets)) {
    const path = `/overlay/subnets/${host}`;
    const h = spec.hosts.find((x) => x.name === host);
    if (h === undefined) {
      issues.push({ path, message: `host "${host}" is not in /hosts` });
      continue;
    }
    if (!(h.nics ?? []).some((n) => n.name === iface && (n.namespace ?? ROOT_NAMESPACE) === ROOT_NAMESPACE && (n.addresses ?? []).length > 0)) {
      issues.push({ path, message: `host ${host} has no ${iface} with an address for the overlay to use` });
    }
    const c = parseIpv4Cidr(subnet);
    if (!c.ok) {
      issues.push({ path, message: `invalid CIDR "${subnet}": ${c.error}` });
      continue;
    }
    if (c.value.prefixLength < network.value.prefixLength || ((c.value.address & prefixMask(network.value.prefixLength)) >>> 0) !== cidrNetwork(network.value)) {
      issues.push({ path, message: `${subnet} is not inside the pod network ${o.network}` });
    }
    const clash = seen.find((s) => ((s.cidr.address ^ c.value.address) & prefixMask(Math.min(s.cidr.prefixLength, c.value.prefixLength))) === 0);
    if (clash !== undefined) issues.push({ path, message: `${subnet} overlaps ${clash.host}'s subnet` });
    seen.push({ host, cidr: c.value });
  }
  return issues;
}

function validateHost(
  host: HostSpec,
  hp: string,
  segments: Set<string>,
  macs: Map<string, string>,
  segmentAddresses: Map<string, Map<number, string>>,
  issues: TopologyIssue[],
): void {
  const namespaces = new Set<string>([ROOT_NAMESPACE]);
  const addNamespace = (name: string, path: string) => {
    if (namespaces.has(name)) issues.push({ path, message: `namespace "${name}" already exists on host ${host.name}` });
    namespaces.add(name);
  };
  (host.namespaces ?? []).forEach((n, i) => addNamespace(n, `${hp}/namespaces/${i}`));
  const containerNames = new Set<string>();
  (host.containers ?? []).forEach((c, i) => {
    if (containerNames.has(c.name)) issues.push({ path: `${hp}/containers/${i}/name`, message: `container name "${c.name}" is already in use` });
    containerNames.add(c.name);
    if (c.network !== "host") addNamespace(c.name, `${hp}/containers/${i}/name`);
  });

  const declared: Declared[] = [];
  (host.nics ?? []).forEach((n, i) => {
    const path = `${hp}/nics/${i}`;
    if (!segments.has(n.segment)) issues.push({ path: `${path}/segment`, message: `segment "${n.segment}" is not declared in /segments` });
    declared.push({ path, namespace: n.namespace ?? ROOT_NAMESPACE, name: n.name, kind: "nic", addresses: n.addresses, mac: n.mac, master: undefined });
  });
  (host.bridges ?? []).forEach((b, i) =>
    declared.push({ path: `${hp}/bridges/${i}`, namespace: b.namespace ?? ROOT_NAMESPACE, name: b.name, kind: "bridge", addresses: b.addresses, mac: b.mac, master: undefined }),
  );
  (host.veths ?? []).forEach((v, i) => {
    const path = `${hp}/veths/${i}`;
    const peerNs = v.peer.namespace ?? ROOT_NAMESPACE;
    const ownNs = v.namespace ?? ROOT_NAMESPACE;
    declared.push({
      path,
      namespace: ownNs,
      name: v.name,
      kind: "veth",
      addresses: v.addresses,
      mac: v.mac,
      master: v.master,
      ...(v.peer.master !== undefined ? { peerDomain: { namespace: peerNs, master: v.peer.master } } : {}),
    });
    declared.push({
      ...(v.master !== undefined ? { peerDomain: { namespace: ownNs, master: v.master } } : {}),
      path: `${path}/peer`,
      namespace: v.peer.namespace ?? ROOT_NAMESPACE,
      name: v.peer.name,
      kind: "veth",
      addresses: v.peer.addresses,
      mac: v.peer.mac,
      master: v.peer.master,
    });
  });

  const byNsName = new Map<string, Declared>();
  const l2Addresses = new Map<string, Map<number, string>>();
  for (const d of declared) {
    if (!namespaces.has(d.namespace)) {
      issues.push({ path: `${d.path}/namespace`, message: `namespace "${d.namespace}" does not exist on host ${host.name} (declare it in namespaces or containers)` });
      continue;
    }
    const key = `${d.namespace}/${d.name}`;
    if (d.name === "lo" || byNsName.has(key)) {
      issues.push({ path: `${d.path}/name`, message: `device "${d.name}" already exists in namespace ${d.namespace}` });
      continue;
    }
    byNsName.set(key, d);
    if (d.mac !== undefined) {
      if ((parseInt(d.mac.slice(0, 2), 16) & 1) === 1) issues.push({ path: `${d.path}/mac`, message: `${d.mac} is a multicast address: a device needs a unicast MAC` });
      // A MAC must be unique on its L2 domain: within a host, and among the NICs of one segment.
      // Two hosts may reuse one (every Docker host gives 172.17.0.2 the MAC 02:42:ac:11:00:02).
      const nic = d.kind === "nic" ? (host.nics ?? []).find((n) => n.name === d.name && (n.namespace ?? ROOT_NAMESPACE) === d.namespace) : undefined;
      const scopes = [`host:${host.name}|${d.mac}`, ...(nic !== undefined ? [`segment:${nic.segment}|${d.mac}`] : [])];
      const other = scopes.map((k) => macs.get(k)).find((o) => o !== undefined);
      if (other !== undefined) issues.push({ path: `${d.path}/mac`, message: `MAC ${d.mac} is already used by ${other}` });
      else for (const k of scopes) macs.set(k, `${host.name}/${key}`);
    }
  }

  // Bridge membership: the master must be a bridge in the same namespace; a port has one master.
  for (const d of declared) {
    if (d.master === undefined) continue;
    const bridge = byNsName.get(`${d.namespace}/${d.master}`);
    if (bridge === undefined || bridge.kind !== "bridge") {
      issues.push({ path: `${d.path}/master`, message: `bridge "${d.master}" does not exist in namespace ${d.namespace}` });
    }
  }

  // Addresses: valid host addresses, unique within a subnet on one L2 domain. Ports of a bridge
  // share the bridge's domain; a NIC shares its segment's domain across hosts.
  const domainOf = (d: Declared): [string, Map<string, Map<number, string>>] => {
    if (d.kind === "nic") {
      const nic = (host.nics ?? []).find((n) => n.name === d.name && (n.namespace ?? ROOT_NAMESPACE) === d.namespace);
      return [`segment:${nic?.segment ?? ""}`, segmentAddresses];
    }
    if (d.master !== undefined) return [`${host.name}:${d.namespace}/${d.master}`, l2Addresses];
    if (d.peerDomain !== undefined) return [`${host.name}:${d.peerDomain.namespace}/${d.peerDomain.master}`, l2Addresses];
    return [`${host.name}:${d.namespace}/${d.name}`, l2Addresses];
  };
  for (const d of declared) {
    if (d.master !== undefined && d.addresses !== undefined && d.addresses.length > 0) {
      issues.push({ path: `${d.path}/addresses`, message: `${d.name} is a port of bridge ${d.master}: an enslaved device gives up its IP role, put the address on ${d.master}` });
    }
    (d.addresses ?? []).forEach((a, i) => {
      const path = `${d.path}/addresses/${i}`;
      const parsed = parseIpv4Cidr(a);
      if (!parsed.ok) {
        issues.push({ path, message: `invalid CIDR "${a}": ${parsed.error}` });
        return;
      }
      const cidr = parsed.value;
      if (cidr.prefixLength < 31 && (cidr.address === cidrNetwork(cidr) || a.startsWith("0."))) {
        issues.push({ path, message: `${a} is the network address of its subnet, not a host address` });
        return;
      }
      const [domain, table] = domainOf(d);
      let seen = table.get(domain);
      if (seen === undefined) table.set(domain, (seen = new Map()));
      const where = seen.get(cidr.address);
      if (where !== undefined) issues.push({ path, message: `duplicate address ${formatIpv4(cidr.address)} in subnet ${formatIpv4(cidrNetwork(cidr))}/${cidr.prefixLength}: already on ${where}` });
      else seen.set(cidr.address, `${host.name} ${d.namespace}/${d.name}`);
    });
  }

  // Veth peers in containers that run with --net=host, or the same name twice across a pair.
  (host.veths ?? []).forEach((v, i) => {
    if ((v.namespace ?? ROOT_NAMESPACE) === (v.peer.namespace ?? ROOT_NAMESPACE) && v.name === v.peer.name) {
      issues.push({ path: `${hp}/veths/${i}/peer/name`, message: `both ends of the pair are ${v.name} in the same namespace` });
    }
  });

  (host.routes ?? []).forEach((r, i) => {
    const path = `${hp}/routes/${i}`;
    const ns = r.namespace ?? ROOT_NAMESPACE;
    if (!namespaces.has(ns)) {
      issues.push({ path: `${path}/namespace`, message: `namespace "${ns}" does not exist on host ${host.name}` });
      return;
    }
    if (r.to !== "default") {
      const c = parseIpv4Cidr(r.to);
      if (!c.ok) issues.push({ path: `${path}/to`, message: `invalid CIDR "${r.to}": ${c.error}` });
      else if (c.value.address !== cidrNetwork(c.value)) issues.push({ path: `${path}/to`, message: `${r.to} has host bits set: did you mean ${formatIpv4(cidrNetwork(c.value))}/${c.value.prefixLength}?` });
    }
    if (r.via === undefined && r.dev === undefined) issues.push({ path, message: "a route needs `via`, `dev` or both" });
    if (r.dev !== undefined && r.dev !== "lo" && !byNsName.has(`${ns}/${r.dev}`)) {
      issues.push({ path: `${path}/dev`, message: `device "${r.dev}" does not exist in namespace ${ns}` });
    }
    if (r.via !== undefined && !r.onlink) {
      const gw = parseIpv4(r.via);
      // The gateway may also be reachable through a link route of the same namespace (Calico's 169.254.1.1 dev eth0).
      const viaLinkRoute =
        gw.ok &&
        (host.routes ?? []).some((x) => {
          if ((x.namespace ?? ROOT_NAMESPACE) !== ns || x.via !== undefined || x.dev === undefined || x.to === "default") return false;
          const c = parseIpv4Cidr(x.to);
          return c.ok && ((gw.value & prefixMask(c.value.prefixLength)) >>> 0) === cidrNetwork(c.value);
        });
      const reachable =
        viaLinkRoute ||
        (gw.ok &&
        declared.some(
          (d) =>
            d.namespace === ns &&
            (r.dev === undefined || d.name === r.dev) &&
            (d.addresses ?? []).some((a) => {
              const c = parseIpv4Cidr(a);
              return c.ok && cidrNetwork(c.value) === ((gw.value & prefixMask(c.value.prefixLength)) >>> 0);
            }),
        ));
      if (!reachable) issues.push({ path: `${path}/via`, message: `gateway ${r.via} is not on a directly connected subnet in namespace ${ns} (Linux: "Nexthop has invalid gateway"); add onlink: true if intended` });
    }
  });

  (host.services ?? []).forEach((s, i) => {
    const ns = s.namespace ?? ROOT_NAMESPACE;
    if (!namespaces.has(ns)) issues.push({ path: `${hp}/services/${i}/namespace`, message: `namespace "${ns}" does not exist on host ${host.name}` });
  });
  if (host.docker !== undefined && !(host.bridges ?? []).some((b) => b.name === host.docker!.bridge && (b.namespace ?? ROOT_NAMESPACE) === ROOT_NAMESPACE)) {
    issues.push({ path: `${hp}/docker/bridge`, message: `bridge "${host.docker.bridge}" does not exist in the root namespace` });
  }
}
