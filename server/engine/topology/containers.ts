/**
 * Containers on a host, as Docker makes them: a namespace (or the host's, for
 * --net=host), a veth pair whose host end joins the docker bridge, the next
 * free address of the bridge's subnet with the MAC derived from it
 * (02:42:ac:11:00:02 for 172.17.0.2), a default route via the bridge, and the
 * image's main process with its listening sockets. A process that cannot bind
 * its port exits, and the container with it, as nginx does.
 * `docker run` checks everything it will add against the session's object
 * limits before it makes anything.
 */
import { Bridge } from "../link/bridge.js";
import { Veth } from "../link/veth.js";
import { addCounts, isLimitReached, limitMessage, type LimitReached, type ObjectCounts } from "../object-quota.js";
import { addressRoutes, NEW_NAMESPACE_OBJECTS, type NetNamespace } from "../stack/namespace.js";
import { cidrNetwork, formatIpv4, ipv4CidrOrThrow, type Ipv4Address } from "../wire/ipv4-address.js";
import { dockerMacForIpv4, formatMac } from "../wire/mac-address.js";
import { publishNeeds, publishPort, unpublishPort, type PublishedPort } from "./docker-rules.js";
import { resolveImage, type ImageSpec } from "./images.js";
import type { Container, ContainerNetwork, SimHost } from "./network.js";
import { ROOT_NAMESPACE } from "./topology-schema.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Starts the image's process in the container's namespace; false when a bind failed (the container exits). */
export function startProcesses(host: SimHost, c: Container, image: ImageSpec | undefined, listen: string[]): boolean {
  const ns = host.namespaces.get(c.namespace)!;
  const process = image?.process ?? c.name;
  const opened: string[] = [];
  for (const l of listen) {
    const [proto, portText] = l.split("/");
    const port = Number(portText);
    const error =
      proto === "udp"
        ? ns.sockets.bindUdp({ address: 0, port, process: `${process}/${c.id.slice(0, 12)}`, onDatagram: () => {} })
        : ns.sockets.listenTcp({ address: 0, port, process: `${process}/${c.id.slice(0, 12)}`, serve: (req) => serveHttp(image, req) });
    if (error !== null) {
      ns.sockets.closeProcess(`${process}/${c.id.slice(0, 12)}`);
      const prefix = process === "nginx" ? "nginx: [emerg]" : `${process}:`;
      c.logs.push(isLimitReached(error) ? `${prefix} socket() 0.0.0.0:${port} failed (${limitMessage(error)})` : `${prefix} bind() to 0.0.0.0:${port} failed (98: Address already in use)`);
      c.running = false;
      c.exitCode = 1;
      c.finished = host.network.scheduler.now;
      return false;
    }
    opened.push(l);
  }
  if (image !== undefined && !image.daemon) {
    c.running = false;
    c.exitCode = 0;
    c.finished = host.network.scheduler.now;
  }
  return true;
}

export function stopProcesses(host: SimHost, c: Container): void {
  const ns = host.namespaces.get(c.namespace);
  const image = resolveImage(c.image).spec;
  ns?.sockets.closeProcess(`${image?.process ?? c.name}/${c.id.slice(0, 12)}`);
  c.running = false;
}

function serveHttp(image: ImageSpec | undefined, request: Uint8Array): Uint8Array | null {
  if (image?.http === undefined) return null;
  const line = decoder.decode(request).split("\r\n")[0] ?? "";
  const [, path = "/"] = line.split(" ");
  const r = image.http(path);
  const body = encoder.encode(r.body);
  const head =
    `HTTP/1.1 ${r.status} ${r.reason}\r\nServer: nginx/1.27.3\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Type: ${r.contentType}\r\n` +
    `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n\r\n`;
  const out = new Uint8Array(head.length + body.length);
  out.set(encoder.encode(head));
  out.set(body, head.length);
  return out;
}

export interface RunRequest {
  name: string;
  image: string;
  network: ContainerNetwork;
  id?: string;
  /** "8080:80", "8080:80/udp" */
  publish?: string[];
}

/** The record of a container, its id completed from the seed as Docker would make one. */
export function newContainer(host: SimHost, req: { name: string; image: string; network: ContainerNetwork; id?: string | undefined }): Container {
  const id = req.id !== undefined && req.id.length === 64 ? req.id : (req.id ?? "") + host.network.random.hex(64 - (req.id?.length ?? 0));
  return {
    id,
    name: req.name,
    image: req.image,
    command: resolveImage(req.image).spec?.command ?? `"sh"`,
    network: req.network,
    namespace: req.network === "host" ? ROOT_NAMESPACE : req.name,
    running: true,
    exitCode: 0,
    created: host.network.scheduler.now,
    finished: 0,
    logs: [],
    hostVeth: null,
    address: null,
    published: [],
  };
}

export function parsePublish(text: string): PublishedPort | string {
  const m = /^(\d{1,5}):(\d{1,5})(?:\/(tcp|udp))?$/.exec(text);
  if (m === null) return `invalid publish spec: ${text} (use hostPort:containerPort[/tcp|udp])`;
  const hostPort = Number(m[1]);
  const containerPort = Number(m[2]);
  if (hostPort < 1 || hostPort > 65535 || containerPort < 1 || containerPort > 65535) return `invalid port in ${text}: ports are 1-65535`;
  return { hostPort, containerPort, protocol: m[3] === "udp" ? 17 : 6, address: 0 };
}

/** Port already published by another container on this host (Docker refuses: "port is already allocated"). */
export function publishedConflict(host: SimHost, wanted: PublishedPort[]): PublishedPort | null {
  for (const c of host.containers.values()) {
    if (!c.running) continue;
    for (const p of c.published) for (const w of wanted) if (p.hostPort === w.hostPort && p.protocol === w.protocol) return w;
  }
  return null;
}

/** Installs the DNAT/ACCEPT/MASQUERADE rules of a container's published ports. */
export function publishContainer(host: SimHost, c: Container, ports: PublishedPort[]): void {
  if (c.address === null || host.dockerBridge === null) return;
  c.published = ports.map((p) => ({ ...p, address: c.address! }));
  if (host.dockerIptables) for (const p of c.published) publishPort(host.root, host.dockerBridge, p);
}

/** The host's docker bridge and its gateway address, when Docker runs there. */
export function dockerBridge(host: SimHost): { bridge: Bridge; gateway: number; prefixLength: number } | null {
  const name = host.dockerBridge;
  if (name === null) return null;
  const dev = host.root.device(name);
  if (!(dev instanceof Bridge) || dev.addresses.length === 0) return null;
  const a = dev.addresses[0]!;
  return { bridge: dev, gateway: a.address, prefixLength: a.prefixLength };
}

/**
 * Lowest free address of the bridge's subnet, skipping the gateway (Docker's
 * IPAM). The search starts where the last one ended as long as no address
 * was given back since (host.dockerAddressSearch): the addresses below were
 * all taken then and still are. Searching from the subnet's start every time
 * made the n-th `docker run` try n addresses, and a thousand containers on
 * one bridge grow with the square of their number.
 */
function allocateAddress(host: SimHost, gateway: number, prefixLength: number): number | null {
  const net = cidrNetwork(ipv4CidrOrThrow(gateway as Ipv4Address, prefixLength));
  const size = 2 ** (32 - prefixLength);
  const releases = host.addresses.removals + host.containerRemovals;
  const last = host.dockerAddressSearch;
  const from = last !== null && last.subnet === net && last.prefixLength === prefixLength && last.releases === releases ? last.from : 2;
  for (let i = from; i < size - 1; i++) {
    const candidate = (net + i) >>> 0;
    // Taken if a device of the host holds it (host-addresses.ts answers without walking them all),
    // or a container keeps it reserved, whether or not a device holds it.
    if (candidate === gateway || host.addresses.has(candidate) || reservedByContainer(host, candidate)) continue;
    // From this one next time: the caller may yet fail to take it (a session limit), and then it is still free.
    host.dockerAddressSearch = { subnet: net, prefixLength, from: i, releases };
    return candidate;
  }
  return null;
}

function reservedByContainer(host: SimHost, address: number): boolean {
  for (const c of host.containers.values()) if (c.address === address) return true;
  return false;
}

export type RunError =
  | { kind: "no-bridge" }
  | { kind: "pool-exhausted" }
  | { kind: "name-in-use"; id: string }
  | { kind: "bad-publish"; message: string }
  | { kind: "port-allocated"; port: number }
  | { kind: "limit"; limit: LimitReached };

/**
 * What a container adds to the session's network: its namespace (lo and its
 * address and routes) unless it shares the host's; on the bridge network the
 * veth pair, eth0's address with the routes it implies and the default route,
 * and the published ports' iptables rules; the sockets its process listens on.
 */
function containerNeeds(host: SimHost, network: ContainerNetwork, docker: { gateway: number; prefixLength: number } | null, ports: PublishedPort[], listen: string[]): Partial<ObjectCounts> {
  let needs: Partial<ObjectCounts> = { sockets: listen.length };
  if (network !== "host") needs = addCounts(needs, NEW_NAMESPACE_OBJECTS);
  if (network === "bridge" && docker !== null) {
    // How many routes an address implies depends on its prefix length only, so the gateway's address stands in for the container's.
    const eth0 = addressRoutes({ name: "eth0", kind: "veth" }, { address: docker.gateway, prefixLength: docker.prefixLength }, true).length;
    const rules = host.dockerIptables && host.dockerBridge !== null ? publishNeeds(host.root, host.dockerBridge, ports) : 0;
    needs = addCounts(needs, { devices: 2, addresses: 1, routes: eth0 + 1, rules });
  }
  return needs;
}

/** docker run: creates and starts a container. */
export function runContainer(host: SimHost, req: RunRequest): Container | RunError {
  const existing = host.containers.get(req.name);
  if (existing !== undefined) return { kind: "name-in-use", id: existing.id };
  const ports: PublishedPort[] = [];
  for (const text of req.publish ?? []) {
    const p = parsePublish(text);
    if (typeof p === "string") return { kind: "bad-publish", message: p };
    ports.push(p);
  }
  const taken = publishedConflict(host, ports);
  if (taken !== null) return { kind: "port-allocated", port: taken.hostPort };
  const random = host.network.random;
  const image = resolveImage(req.image);
  const c = newContainer(host, req);
  const docker = req.network === "bridge" ? dockerBridge(host) : null;
  let address: number | null = null;
  if (req.network === "bridge") {
    if (docker === null) return { kind: "no-bridge" };
    address = allocateAddress(host, docker.gateway, docker.prefixLength);
    if (address === null) return { kind: "pool-exhausted" };
  }
  const full = host.network.quota.check(containerNeeds(host, req.network, docker, ports, image.spec?.listen ?? []));
  if (full !== null) return { kind: "limit", limit: full };
  if (docker !== null && address !== null) {
    const ns = host.addNamespace(req.name);
    const mac = formatMac(dockerMacForIpv4(address as Ipv4Address));
    const hostName = `veth${random.hex(7)}`;
    attachContainerVeth(host, ns, docker.bridge, { inside: "eth0", outside: hostName, mac, outsideMac: random.mac() });
    ns.addAddress(ns.device("eth0")!, address, docker.prefixLength);
    ns.addRoute({ table: "main", type: "unicast", dst: 0, prefixLength: 0, via: docker.gateway, dev: "eth0", proto: "boot", scope: "global", src: null, metric: 0, onlink: false });
    c.hostVeth = hostName;
    c.address = address;
    publishContainer(host, c, ports);
  } else if (req.network === "none") {
    host.addNamespace(req.name);
  }
  host.containers.set(req.name, c);
  startProcesses(host, c, image.spec, image.spec?.listen ?? []);
  return c;
}

/** Creates the veth pair between a container's namespace and a bridge in the root namespace, both ends up. */
export function attachContainerVeth(host: SimHost, ns: NetNamespace, bridge: Bridge, names: { inside: string; outside: string; mac: string; outsideMac: string }): void {
  const ctx = host.network.ctx;
  const root = host.root;
  const inside = new Veth(ctx, ns, ns.allocIfindex(), names.inside, names.mac);
  const outside = new Veth(ctx, root, root.allocIfindex(), names.outside, names.outsideMac);
  Veth.pair(inside, outside);
  ns.attach(inside);
  root.attach(outside);
  bridge.enslave(outside);
  root.setUp(outside, true);
  ns.setUp(inside, true);
}

/** docker rm: stops processes, deletes the namespace (and so the veth pair). */
export function removeContainer(host: SimHost, c: Container): void {
  stopProcesses(host, c);
  if (host.dockerBridge !== null) for (const p of c.published) unpublishPort(host.root, host.dockerBridge, p);
  if (c.network !== "host") host.deleteNamespace(c.namespace);
  host.containers.delete(c.name);
  host.containerRemovals++;
}

export function containerAddress(c: Container): string {
  return c.address === null ? "" : formatIpv4(c.address);
}
