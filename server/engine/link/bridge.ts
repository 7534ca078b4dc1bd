/**
 * A Linux bridge (docker0, cni0): a learning switch whose own interface is the
 * host's door into it. Enslaved ports give up their IP role: whatever they
 * receive comes here (`ingress`). The bridge learns the source MAC, then
 * delivers locally (its own MAC), floods (broadcast, multicast, unknown
 * unicast: every forwarding port but the ingress one) or forwards to the one
 * port its FDB names. What the host's stack sends through the bridge device
 * takes the same decision without an ingress port. With br_netfilter on
 * (BridgeNetfilter in device.ts), an IPv4 frame from a port passes conntrack
 * and nat PREROUTING before the decision, which is taken on the frame as they
 * left it (translated, reassembled, or readdressed by a DNAT), and FORWARD and
 * POSTROUTING towards each egress port.
 *
 * Hairpin mode (BR_HAIRPIN_MODE, `brctl hairpin`, the CNI bridge plugin's
 * hairpinMode) lets a frame leave by the port it came in on, which
 * br_forward's should_deliver otherwise refuses: a pod that reaches itself
 * through a Service address needs it (DNAT readdresses its frame to itself).
 */
import { ETHERNET_HEADER_LENGTH } from "../wire/ethernet.js";
import { Device, fitsMtu, type Enslaver, type LinkContext, type NamespaceLabel } from "./device.js";
import { Fdb } from "./fdb.js";
import { isGroupMac, type Frame } from "./frame.js";
import type { Timer } from "../sim/scheduler.js";
import { TextMemo } from "../trace/text-memo.js";

const SECOND = 1_000_000;

/** What a port's last few forwards were, in words: a flow's frames are forwarded alike. */
const forwardSummaries = new TextMemo(4);

export class Bridge extends Device implements Enslaver {
  readonly kind = "bridge" as const;
  readonly ports: Device[] = [];
  readonly fdb: Fdb;
  ageingTime: number;
  /** Ports in hairpin mode. */
  readonly hairpin = new Set<Device>();
  /** br_netfilter's token of the frame being passed up to the stack, while the stack handles it: its PREROUTING has run. */
  private passingUp: object | null = null;
  private gcTimer: Timer | null = null;
  /** BROPT_MTU_SET_BY_USER: once the bridge's MTU is set by hand it no longer follows its ports. */
  private mtuSetByUser = false;
  /** Bridge id as brctl shows it: priority 8000 and the MAC. */
  get bridgeId(): string {
    return `8000.${this.mac.replaceAll(":", "")}`;
  }

  constructor(ctx: LinkContext, ns: NamespaceLabel, ifindex: number, name: string, mac: string, mtu = 1500, ageingSeconds = 300) {
    super(ctx, ns, ifindex, name, mac, mtu);
    this.fdb = new Fdb(ctx.quota);
    this.ageingTime = ageingSeconds * SECOND;
    this.fdb.addLocal(mac, name, ctx.scheduler.now);
  }

  /** Linux: a bridge has carrier while at least one port is up with carrier. */
  hasCarrier(): boolean {
    return this.ports.some((p) => p.operUp);
  }

  enslave(port: Device): void {
    port.master = this;
    this.ports.push(port);
    this.fdb.addLocal(port.mac, port.name, this.ctx.scheduler.now);
  }

  release(port: Device): void {
    const i = this.ports.indexOf(port);
    if (i >= 0) this.ports.splice(i, 1);
    port.master = null;
    this.hairpin.delete(port);
    this.fdb.flushPort(port.name, true);
  }

  /** br_netfilter's token for the frame the stack is handling, null when its hooks did not run at the bridge. */
  get passedUpToken(): object | null {
    return this.passingUp;
  }

  /** brport/hairpin_mode. */
  setHairpin(port: Device, on: boolean): void {
    if (on) this.hairpin.add(port);
    else this.hairpin.delete(port);
  }

  override dispose(): void {
    this.fdb.dispose();
  }

  /** br_change_mtu: set by hand, so the ports' MTUs stop moving it. */
  override setMtu(mtu: number): void {
    this.mtuSetByUser = true;
    super.setMtu(mtu);
  }

  /** br_mtu_auto_adjust: the smallest MTU of the ports, unless the bridge's was set by hand. */
  portMtuChanged(): void {
    if (this.mtuSetByUser || this.ports.length === 0) return;
    super.setMtu(Math.min(...this.ports.map((p) => p.mtu)));
  }

  /** NETDEV_CHANGENAME: the FDB names ports, so its entries follow the new name. */
  portRenamed(port: Device, from: string): void {
    this.fdb.renamePort(from, port.name);
  }

  /** br_fdb_changeaddr: the port's own entry moves to its new address. */
  portAddressChanged(port: Device, from: string): void {
    this.fdb.removeLocal(from, port.name);
    this.fdb.addLocal(port.mac, port.name, this.ctx.scheduler.now);
  }

  /** The bridge itself renamed: its own entry is filed under its name too. */
  override rename(name: string): void {
    const from = this.name;
    super.rename(name);
    this.fdb.renamePort(from, name);
  }

  /** br_set_mac_address: br_fdb_change_mac_address moves the bridge's own entry. */
  override setMac(mac: string): void {
    const from = this.mac;
    super.setMac(mac);
    this.fdb.removeLocal(from, this.name);
    this.fdb.addLocal(mac, this.name, this.ctx.scheduler.now);
  }

  /** A port went down: its learnt entries go (br_fdb_delete_by_port), its own MAC stays. */
  portDown(port: Device): void {
    this.fdb.flushPort(port.name, false);
  }

  /** br_handle_frame: learn, br_netfilter's PREROUTING, then br_handle_frame_finish's decision. */
  ingress(port: Device, frame: Frame): void {
    this.learn(port, frame);
    const nf = this.ns.bridgeNetfilter;
    const pre = nf === undefined || nf === null ? "skip" : nf.prerouting(this, port, frame);
    if (pre === null) return;
    if (pre === "skip") this.decide(port, frame, "skip");
    else this.decide(port, pre.frame, pre.token);
  }

  /**
   * br_dev_xmit of a frame br_netfilter sent through the bridge's neighbour
   * output (a DNAT to an address behind this bridge whose neighbour entry was
   * not confirmed, once it could be sent): it leaves the bridge device as what
   * the host sends does, then br_nf_pre_routing_finish_bridge_slow puts the
   * sender's MAC back (`resumed`) and the bridge decides as for a frame that
   * came in by `ingress`, its hooks going on.
   */
  transmitBridgedDnat(sent: Frame, ingress: Device, resumed: Frame, token: object): void {
    if (this.leaves(sent)) this.decide(ingress, resumed, token);
  }

  /** Frames the host's stack sends through the bridge device: they passed OUTPUT and POSTROUTING there. */
  protected carry(frame: Frame): void {
    this.decide(null, frame, "skip");
  }

  private learn(port: Device, frame: Frame): void {
    if (isGroupMac(frame.src)) return;
    const now = this.ctx.scheduler.now;
    const change = this.fdb.learn(frame.src, port.name, now);
    if (change === undefined) return;
    this.ctx.trace.emit({
      seq: 0,
      time: 0,
      kind: "bridge-learn",
      host: this.ns.host,
      namespace: this.ns.name,
      device: this.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary:
        change.previousPort === null
          ? `${this.name} learns ${frame.src} on port ${port.name}`
          : `${this.name} moves ${frame.src} from port ${change.previousPort} to ${port.name}`,
      bridge: this.name,
      port: port.name,
      mac: frame.src,
      previousPort: change.previousPort,
    });
    this.scheduleGc();
  }

  private decide(ingress: Device | null, frame: Frame, token: object | "skip"): void {
    if (isGroupMac(frame.dst)) {
      this.flood(ingress, frame, token);
      if (ingress !== null) this.deliverLocal(ingress, frame, token);
      return;
    }
    const entry = this.fdb.get(frame.dst);
    if (entry?.local === true) {
      if (ingress !== null) this.deliverLocal(ingress, frame, token);
      return;
    }
    if (entry === undefined) this.flood(ingress, frame, token);
    else this.forwardTo(ingress, frame, entry.port, token);
    this.promiscuousCopy(ingress, frame);
  }

  /** should_deliver: never back out of the ingress port, unless that port is in hairpin mode. */
  private mayDeliver(port: Device, ingress: Device | null): boolean {
    return port !== ingress || this.hairpin.has(port);
  }

  private forwardTo(ingress: Device | null, frame: Frame, portName: string, token: object | "skip"): void {
    const from = ingress?.name ?? this.name;
    const out = this.ports.find((p) => p.name === portName);
    if (out === undefined || !this.mayDeliver(out, ingress)) {
      // Linux drops a frame whose destination sits behind the port it came in on.
      this.emitDrop(frame, "not-for-host", `destination behind ingress port ${from}`, `${this.name} drops a frame for ${frame.dst}: it sits behind the ingress port ${from}`);
      return;
    }
    this.ctx.trace.emit({
      seq: 0,
      time: 0,
      kind: "bridge-forward",
      host: this.ns.host,
      namespace: this.ns.name,
      device: this.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: forwardSummaries.text(out, out.name, from, frame.dst, this.name, () =>
        out === ingress ? `${this.name} sends ${frame.dst} back out of ${from}, the port it came in by (hairpin mode)` : `${this.name} forwards ${frame.dst} from ${from} to port ${out.name} (fdb)`,
      ),
      bridge: this.name,
      ingress: from,
      egress: out.name,
      mac: frame.dst,
    });
    this.toPort(out, frame, token);
  }

  /**
   * br_handle_frame_finish: a frame bridged between ports also goes up to the
   * bridge's own interface when it is promiscuous, after being forwarded, and
   * the stack there drops it (PACKET_OTHERHOST). Only a capture (tcpdump
   * without -p) makes a bridge promiscuous, so only a capture sees it.
   */
  private promiscuousCopy(ingress: Device | null, frame: Frame): void {
    if (ingress !== null) this.ctx.capture?.(this, frame, "rx", this.ctx.scheduler.now, true);
  }

  /**
   * br_forward_finish, then br_dev_queue_push_xmit: a frame longer than the
   * egress port's MTU is dropped, not fragmented (a bridge has no IP layer;
   * only br_netfilter cuts again a datagram it reassembled).
   */
  private toPort(out: Device, bridged: Frame, token: object | "skip"): void {
    const frames = token === "skip" ? [bridged] : this.ns.bridgeNetfilter!.forward(this, token, bridged, out);
    for (const frame of frames) {
      if (!fitsMtu(out, frame)) {
        const detail = `a ${frame.bytes.length - ETHERNET_HEADER_LENGTH}-byte packet is larger than port ${out.name}'s MTU ${out.mtu}`;
        this.emitDrop(frame, "mtu-exceeded", detail, `${this.name} drops a frame for ${out.name}: ${detail}`);
        continue;
      }
      out.transmit(frame);
    }
  }

  private flood(ingress: Device | null, frame: Frame, token: object | "skip"): void {
    const egress = this.ports.filter((p) => this.mayDeliver(p, ingress) && p.operUp);
    const from = ingress?.name ?? this.name;
    const why = isGroupMac(frame.dst) ? (frame.dst === "ff:ff:ff:ff:ff:ff" ? "broadcast" : "multicast") : "unknown unicast";
    this.ctx.trace.emit({
      seq: 0,
      time: 0,
      kind: "bridge-flood",
      host: this.ns.host,
      namespace: this.ns.name,
      device: this.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `${this.name} floods ${why} ${frame.dst} from ${from} to ${egress.length === 0 ? "no port" : egress.map((p) => p.name).join(", ")}`,
      bridge: this.name,
      ingress: from,
      egress: egress.map((p) => p.name),
    });
    for (const p of egress) this.toPort(p, frame, token);
  }

  private deliverLocal(ingress: Device, frame: Frame, token: object | "skip"): void {
    this.ctx.trace.emit({
      seq: 0,
      time: 0,
      kind: "bridge-local",
      host: this.ns.host,
      namespace: this.ns.name,
      device: this.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `${this.name} passes the frame from ${ingress.name} up to the host's stack`,
      bridge: this.name,
      ingress: ingress.name,
    });
    const outer = this.passingUp;
    this.passingUp = token === "skip" ? null : token;
    try {
      this.receive(frame);
    } finally {
      this.passingUp = outer;
    }
  }

  private scheduleGc(): void {
    if (this.gcTimer !== null || this.ageingTime === 0) return;
    const oldest = this.fdb.oldestLearnt();
    if (oldest === undefined) return;
    this.gcTimer = this.ctx.scheduler.at(oldest + this.ageingTime, () => {
      this.gcTimer = null;
      const now = this.ctx.scheduler.now;
      for (const e of this.fdb.expire(now, this.ageingTime)) {
        this.ctx.trace.emit({
          seq: 0,
          time: 0,
          kind: "fdb-age-out",
          host: this.ns.host,
          namespace: this.ns.name,
          device: this.name,
          packetId: null,
          layers: null,
          summary: `${this.name} forgets ${e.mac} on port ${e.port} after ${Math.round((now - e.updated) / SECOND)} s without traffic`,
          bridge: this.name,
          port: e.port,
          mac: e.mac,
          idleSeconds: Math.round((now - e.updated) / SECOND),
        });
      }
      this.scheduleGc();
    });
  }
}
