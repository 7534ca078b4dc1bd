/**
 * What every network device shares: identity (ifindex, name, MAC, MTU),
 * administrative and operational state, its addresses, counters, and the two
 * directions of the datapath. A device does not know about IP: what it
 * receives goes either to its bridge (when enslaved) or up to the namespace's
 * stack through `deliverUp`, which the stack installs.
 */
import { ETHERNET_HEADER_LENGTH } from "../wire/ethernet.js";
import type { ObjectQuota } from "../object-quota.js";
import type { Scheduler } from "../sim/scheduler.js";
import type { TraceRecorder } from "../trace/trace-recorder.js";
import { frameEventSummary } from "../trace/frame-layers.js";
import type { Frame } from "./frame.js";

export type DeviceKind = "loopback" | "veth" | "bridge" | "nic" | "vxlan" | "tun" | "ipip" | "dummy";

/** The namespace a device lives in, as the link layer sees it: a name for traces. */
export interface NamespaceLabel {
  readonly host: string;
  readonly name: string;
  /** br_netfilter's hooks for bridges in this namespace; installed by the stack, null when there is none. */
  readonly bridgeNetfilter?: BridgeNetfilter | null;
}

/**
 * br_netfilter: with net.bridge.bridge-nf-call-iptables = 1 (Docker turns it
 * on), an IPv4 frame entering a bridge from a port passes the IP layer's
 * netfilter hooks too, with the bridge as the in interface: conntrack (its
 * defragmentation first) and nat PREROUTING before the bridge decides
 * (br_nf_pre_routing), then FORWARD and POSTROUTING towards each egress port
 * when bridged, or the IP layer's INPUT or FORWARD when passed up. The stack
 * implements it; the bridge only asks.
 */
export interface BridgeNetfilter {
  /**
   * PREROUTING for a frame entering from `port`: "skip" when the hooks do not
   * apply, null when the frame was dropped or is a fragment waiting for the
   * rest of its datagram, else the frame to decide on (rewritten by NAT, whole
   * when reassembled, addressed to the bridge when NAT sends it to be routed,
   * or to the new destination when to be bridged again) and a token for the
   * hooks that follow.
   */
  prerouting(bridge: Device, port: Device, frame: Frame): { frame: Frame; token: object } | "skip" | null;
  /** FORWARD and POSTROUTING towards egress port `out`: the frames to send (rewritten by NAT; a reassembled datagram in fragments again), none when dropped. */
  forward(bridge: Device, token: object, frame: Frame, out: Device): Frame[];
}

export interface LinkContext {
  readonly scheduler: Scheduler;
  readonly trace: TraceRecorder;
  /** Virtual microseconds a frame takes to cross a software link (veth, bridge port). */
  readonly softLinkDelay: number;
  /** Virtual microseconds across an underlay segment. */
  readonly wireDelay: number;
  /** Sees every frame a device sends or receives, for packet captures (pcap export); null when nobody captures. */
  readonly capture: FrameCapture | null;
  /** The session's object counts and limits (learned FDB entries count here). */
  readonly quota: ObjectQuota;
}

/**
 * `promiscuousOnly`: the device sees the frame only while promiscuous (as
 * tcpdump makes it unless given -p): a bridge passes frames bridged between
 * two of its ports up to its own interface only then (br_handle_frame_finish).
 */
export type FrameCapture = (dev: Device, frame: Frame, direction: "tx" | "rx", time: number, promiscuousOnly: boolean) => void;

export interface InterfaceAddress {
  address: number;
  prefixLength: number;
  broadcast: number;
  scope: "host" | "global" | "link";
}

export interface DeviceStats {
  rxPackets: number;
  rxBytes: number;
  rxDropped: number;
  txPackets: number;
  txBytes: number;
  txDropped: number;
}

export interface Enslaver {
  readonly name: string;
  ingress(port: Device, frame: Frame): void;
  /** NETDEV_CHANGEMTU on a port. */
  portMtuChanged(port: Device): void;
  /** NETDEV_CHANGENAME on a port: what the master keeps under the port's name follows it. */
  portRenamed(port: Device, from: string): void;
  /** NETDEV_CHANGEADDR on a port: the port's own address moves. */
  portAddressChanged(port: Device, from: string): void;
}

export abstract class Device {
  abstract readonly kind: DeviceKind;
  adminUp = false;
  master: Enslaver | null = null;
  addresses: InterfaceAddress[] = [];
  /** net.ipv4.conf.<dev>.proxy_arp: answer ARP for addresses routed out of another device (Calico's cali* ends). */
  proxyArp = false;
  /** net.ipv4.conf.<dev>.rp_filter: 0 off, 1 strict, 2 loose reverse-path check of what arrives here (stack/ipv4.ts). */
  rpFilter = 0;
  /** net.ipv4.conf.<dev>.accept_local (take packets from our own addresses) and arp_announce (the address an ARP request tells): stack/source-validation.ts, stack/arp.ts. */
  acceptLocal = 0;
  arpAnnounce = 0;
  /** net.ipv4.conf.<dev>.forwarding: whether what comes in here may be forwarded (the namespace sets it, stack/namespace.ts). */
  forwarding = false;
  readonly stats: DeviceStats = { rxPackets: 0, rxBytes: 0, rxDropped: 0, txPackets: 0, txBytes: 0, txDropped: 0 };
  /**
   * Whether a capture sees what the device sends as well as what it receives.
   * Off for lo, where libpcap skips the outgoing copy of a packet because the
   * same packet comes straight back in (tcpdump -i lo shows it once).
   */
  protected readonly capturesOutgoing: boolean = true;
  /** Installed by the stack of the namespace the device is in. */
  deliverUp: (dev: Device, frame: Frame) => void = () => {};

  constructor(
    protected readonly ctx: LinkContext,
    public ns: NamespaceLabel,
    public ifindex: number,
    public name: string,
    public mac: string,
    public mtu: number,
  ) {}

  /** Carrier: whether frames can leave (IFF_LOWER_UP). */
  abstract hasCarrier(): boolean;

  /**
   * dev_set_mtu, once the caller has checked the device's limits: the MTU
   * changes and the device's master hears of it (NETDEV_CHANGEMTU), as a
   * bridge does to follow its ports.
   */
  setMtu(mtu: number): void {
    this.mtu = mtu;
    this.master?.portMtuChanged(this);
  }

  /** dev_change_name's side on the device (NetNamespace.renameDevice keeps the namespace's tables in step). */
  rename(name: string): void {
    const from = this.name;
    this.name = name;
    this.master?.portRenamed(this, from);
  }

  /** dev_set_mac_address's side on the device (NetNamespace.setDeviceAddress flushes its neighbours). */
  setMac(mac: string): void {
    const from = this.mac;
    this.mac = mac;
    this.master?.portAddressChanged(this, from);
  }

  /** Another device of the namespace was renamed; a device that names it (a VXLAN device's underlay) follows. */
  lowerRenamed(_from: string, _to: string): void {}

  get operUp(): boolean {
    return this.adminUp && this.hasCarrier();
  }

  /** Sends a frame out of this device (from the stack or from its bridge). */
  transmit(frame: Frame): void {
    if (this.leaves(frame)) this.carry(frame);
  }

  /** dev_queue_xmit's side of sending: false when the device cannot send (dropped); else counted, captured and traced. */
  protected leaves(frame: Frame): boolean {
    if (!this.adminUp || !this.hasCarrier()) {
      this.stats.txDropped++;
      this.emitDrop(frame, "link-down", `${this.name} is ${this.adminUp ? "without carrier" : "down"}`);
      return false;
    }
    this.stats.txPackets++;
    this.stats.txBytes += frame.bytes.length;
    if (this.capturesOutgoing) this.ctx.capture?.(this, frame, "tx", this.ctx.scheduler.now, false);
    this.ctx.trace.emit({
      seq: 0,
      time: 0,
      kind: "frame-tx",
      host: this.ns.host,
      namespace: this.ns.name,
      device: this.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: frameEventSummary("frame-tx", this.name, frame.summary),
      length: frame.bytes.length,
    });
    return true;
  }

  /** A frame arrives from the medium (the veth peer, the segment, the loopback). */
  receive(frame: Frame): void {
    if (!this.adminUp) {
      this.stats.rxDropped++;
      this.emitDrop(frame, "link-down", `${this.name} is down`);
      return;
    }
    this.stats.rxPackets++;
    this.stats.rxBytes += frame.bytes.length;
    this.ctx.capture?.(this, frame, "rx", this.ctx.scheduler.now, false);
    this.ctx.trace.emit({
      seq: 0,
      time: 0,
      kind: "frame-rx",
      host: this.ns.host,
      namespace: this.ns.name,
      device: this.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: frameEventSummary("frame-rx", this.name, frame.summary),
      length: frame.bytes.length,
    });
    if (this.master !== null) this.master.ingress(this, frame);
    else this.deliverUp(this, frame);
  }

  /** The device is destroyed with its namespace: what it holds (FDB entries) stops counting against the session. */
  dispose(): void {}

  /** Puts the frame on the medium; kind-specific. */
  protected abstract carry(frame: Frame): void;

  /** A drop on this device, about this frame. */
  protected emitDrop(frame: Frame, reason: "link-down" | "mtu-exceeded" | "not-for-host" | "dummy-xmit", detail: string, summary = `drop on ${this.name}: ${detail}`): void {
    this.ctx.trace.emit({
      seq: 0,
      time: 0,
      kind: "drop",
      host: this.ns.host,
      namespace: this.ns.name,
      device: this.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary,
      reason,
      detail,
    });
  }
}

/** Room for one 802.1Q tag, which is_skb_forwardable always allows for. */
const VLAN_HEADER = 4;

/** is_skb_forwardable: a frame fits a device when it is no longer than the MTU plus the Ethernet header and a VLAN tag. */
export function fitsMtu(dev: Device, frame: Frame): boolean {
  return frame.bytes.length <= dev.mtu + ETHERNET_HEADER_LENGTH + VLAN_HEADER;
}
