/**
 * A running simulated network: hosts with their namespaces, containers and
 * devices, the underlay segments between them, and the shared clock, trace
 * and seeded randomness. Built from a TopologySpec by build-network.ts and
 * changed by commands; everything in it is plain state, so a network can be
 * rebuilt from its topology and command log at any time.
 */
import { DeviceFrameLog } from "../capture/device-frame-log.js";
import type { Device, FrameCapture, LinkContext } from "../link/device.js";
import { Bridge } from "../link/bridge.js";
import { Dummy } from "../link/dummy.js";
import { Segment } from "../link/segment.js";
import { Veth } from "../link/veth.js";
import { Scheduler } from "../sim/scheduler.js";
import { SeededRandom } from "../sim/seeded-random.js";
import { buildFrame, encodePacket } from "../stack/frame-builder.js";
import { HostAddresses } from "../stack/host-addresses.js";
import { installStack } from "../stack/ipv4.js";
import { NetNamespace } from "../stack/namespace.js";
import type { StackContext } from "../stack/stack-context.js";
import { TraceRecorder } from "../trace/trace-recorder.js";
import { DEFAULT_LIMITS, type EngineLimits } from "../limits.js";
import { ObjectQuota, type LimitReached } from "../object-quota.js";
import type { PublishedPort } from "./docker-rules.js";
import { ROOT_NAMESPACE } from "./topology-schema.js";
import type { Cluster } from "../kube/cluster.js";

export type ContainerNetwork = "bridge" | "host" | "none";

export interface Container {
  id: string;
  name: string;
  image: string;
  command: string;
  network: ContainerNetwork;
  /** The namespace its processes live in: its own, or the host's root for --net=host. */
  namespace: string;
  running: boolean;
  exitCode: number;
  created: number;
  finished: number;
  logs: string[];
  /** Host-side veth, for removal. */
  hostVeth: string | null;
  address: number | null;
  published: PublishedPort[];
}

export class SimHost {
  readonly namespaces = new Map<string, NetNamespace>();
  readonly containers = new Map<string, Container>();
  /** Every IPv4 address on this host's devices, kept by its namespaces: what Docker must not hand out. */
  readonly addresses = new HostAddresses();
  /** Containers removed so far (each gives back the address it kept reserved). */
  containerRemovals = 0;
  /**
   * Where Docker's next search for a free address may start (containers.ts): every address of the
   * bridge's subnet below `from` was taken at the last allocation, which saw `releases` addresses
   * given back (removals from devices and of containers) in all; null before the first.
   */
  dockerAddressSearch: { subnet: number; prefixLength: number; from: number; releases: number } | null = null;
  dockerBridge: string | null = null;
  /** Whether the Docker daemon manages this host's iptables rules. */
  dockerIptables = true;
  /** Whether this host's kernel has loaded the dummy module (loadDummyModule). */
  private dummyModuleLoaded = false;

  constructor(
    readonly network: Network,
    readonly name: string,
  ) {
    this.addNamespace(ROOT_NAMESPACE);
  }

  get root(): NetNamespace {
    return this.namespaces.get(ROOT_NAMESPACE)!;
  }

  addNamespace(name: string): NetNamespace {
    const ns = new NetNamespace(this.network.ctx, this.name, name, this.addresses);
    installStack(ns);
    // A name taken again (a container named like an `ip netns` namespace) leaves the old namespace
    // out of reach: what it held stops counting against the session.
    this.namespaces.get(name)?.dispose();
    this.namespaces.set(name, ns);
    return ns;
  }

  /** Deleting a namespace destroys its veth ends, and with them their peers (as the kernel does), and everything else it held. */
  deleteNamespace(name: string): void {
    const ns = this.namespaces.get(name);
    if (ns === undefined || name === ROOT_NAMESPACE) return;
    for (const dev of ns.deviceList()) if (dev instanceof Veth) this.destroyVeth(dev);
    ns.dispose();
    this.namespaces.delete(name);
  }

  destroyVeth(end: Veth): void {
    for (const d of [end, end.peer]) {
      if (d === null) continue;
      const owner = this.namespaceOf(d);
      if (d.master instanceof Bridge) d.master.release(d);
      owner?.detach(d);
    }
    end.peer = null;
  }

  /**
   * request_module("rtnl-link-dummy"), which rtnl_newlink makes the first
   * time a dummy device is asked for, in whichever namespace: dummy_init_module
   * registers the kind and makes `numdummies` (1) device, dummy0, in the
   * host's own namespace (init_net), down. When that name is taken there the
   * module's init fails and the kind stays unknown ("failed"); the next
   * request tries again. "loaded" when the kind is there to use.
   */
  loadDummyModule(): "loaded" | "failed" | LimitReached {
    if (this.dummyModuleLoaded) return "loaded";
    const root = this.root;
    if (root.device("dummy0") !== undefined) return "failed";
    const full = this.network.quota.check({ devices: 1 });
    if (full !== null) return full;
    root.attach(new Dummy(this.network.ctx, root, root.allocIfindex(), "dummy0", this.network.random.mac()));
    this.dummyModuleLoaded = true;
    return "loaded";
  }

  namespaceOf(dev: Device): NetNamespace | undefined {
    return this.namespaces.get(dev.ns.name);
  }

  container(nameOrId: string): Container | undefined {
    const byName = this.containers.get(nameOrId);
    if (byName !== undefined) return byName;
    if (nameOrId.length < 1) return undefined;
    const matches = [...this.containers.values()].filter((c) => c.id.startsWith(nameOrId));
    return matches.length === 1 ? matches[0] : undefined;
  }
}

export interface NetworkOptions {
  seed: number;
  /** Virtual time the network starts at, µs. */
  startTime: number;
  eventBudget: number;
  /** What the network may hold (object limits); DEFAULT_LIMITS when absent. */
  limits?: EngineLimits;
  capture?: FrameCapture | null;
}

export class Network {
  readonly hosts = new Map<string, SimHost>();
  readonly segments = new Map<string, Segment>();
  /** What the overlay's daemons logged while programming the hosts (routes they could not add). */
  readonly overlayLog: string[] = [];
  /** The Kubernetes cluster on these hosts, when the topology has one (kube/cluster.ts). */
  kube: Cluster | null = null;
  readonly scheduler: Scheduler;
  readonly trace: TraceRecorder;
  readonly random: SeededRandom;
  /** What the whole network holds, against the session's object limits. */
  readonly quota: ObjectQuota;
  readonly ctx: StackContext;
  /** What the terminal's tcpdump reads: every device's frames since the last command (capture/device-frame-log.ts). */
  readonly frameLog = new DeviceFrameLog();
  private nextPacketId = 1;

  constructor(readonly options: NetworkOptions) {
    this.scheduler = new Scheduler(options.startTime);
    this.trace = new TraceRecorder(this.scheduler, options.eventBudget);
    this.random = new SeededRandom(options.seed);
    this.quota = new ObjectQuota(options.limits ?? DEFAULT_LIMITS);
    const log = this.frameLog;
    const outer = options.capture ?? null;
    const capture: FrameCapture =
      outer === null
        ? (dev, frame, direction, time, promiscuousOnly) => log.record(dev, frame, direction, time, promiscuousOnly)
        : (dev, frame, direction, time, promiscuousOnly) => {
            log.record(dev, frame, direction, time, promiscuousOnly);
            outer(dev, frame, direction, time, promiscuousOnly);
          };
    const link: LinkContext = { scheduler: this.scheduler, trace: this.trace, softLinkDelay: 20, wireDelay: 150, capture, quota: this.quota };
    this.ctx = {
      ...link,
      random: this.random,
      nextPacketId: () => this.nextPacketId++,
      buildFrame,
      encodePacket,
    };
  }

  addHost(name: string): SimHost {
    const h = new SimHost(this, name);
    this.hosts.set(name, h);
    return h;
  }

  segment(name: string): Segment {
    let s = this.segments.get(name);
    if (s === undefined) this.segments.set(name, (s = new Segment(this.ctx, name)));
    return s;
  }
}
