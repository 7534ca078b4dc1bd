/**
 * ARP: resolving next hops (neigh_resolve_output) and answering requests
 * (arp_process), with the kernel's NUD state machine:
 *   NONE/FAILED → INCOMPLETE (broadcast requests every retrans_time, up to
 *   mcast_solicit) → REACHABLE on a reply, or FAILED (queued packets get ICMP
 *   host unreachable); REACHABLE → STALE after base_reachable_time; a STALE
 *   entry used to send → DELAY → PROBE (unicast requests) → REACHABLE or FAILED.
 * A request addressed to one of our addresses makes a STALE entry for its
 * sender (neigh_event_ns); an unsolicited reply is ignored (arp_accept=0).
 * When the session's neighbour table is full no entry is made: a packet that
 * needed one is dropped ("neighbour table overflow"), a request is still
 * answered without its sender being learnt.
 */
import type { Bridge } from "../link/bridge.js";
import type { Device } from "../link/device.js";
import { BROADCAST_MAC, type Frame } from "../link/frame.js";
import type { ArpPayload, Ipv4Payload } from "../link/payload.js";
import { isLimitReached, type LimitReached } from "../object-quota.js";
import type { NeighbourState } from "../trace/trace-event.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import type { NetNamespace } from "./namespace.js";
import { neighbourKey, type NeighbourEntry } from "./neighbour-cache.js";
import { NEIGH } from "./stack-context.js";
import { dropPacket } from "./drop.js";
import { martianSource } from "./source-validation.js";

export interface NeighbourPending {
  payload: Ipv4Payload;
  packetId: number;
  /** The device the packet came in on, for the ICMP error's source; null when generated here. */
  inDevice: string | null;
  /** Set by br_netfilter for a bridged DNAT: the bridge sends the frame, then bridges it on from this port with this source MAC. */
  bridgedDnat?: { ingress: Device; src: string; token: object };
}

/** Hooks from the IP layer: what to do with packets whose resolution failed. */
export interface ArpHooks {
  resolutionFailed(ns: NetNamespace, pending: NeighbourPending, entry: NeighbourEntry): void;
}

let hooks: ArpHooks = { resolutionFailed: () => {} };
export function setArpHooks(h: ArpHooks): void {
  hooks = h;
}

const key = neighbourKey;

/** `changed`: an event even when the state stays (neigh_update's notification of a new address). */
function setState(ns: NetNamespace, e: NeighbourEntry, to: NeighbourState, reason: string, changed = false): void {
  const from = e.state;
  if (from === to && !changed) return;
  e.state = to;
  e.timerSerial++;
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "neigh-state",
    host: ns.host,
    namespace: ns.name,
    device: e.dev,
    packetId: null,
    layers: null,
    summary: `neighbour ${formatIpv4(e.ip)} dev ${e.dev}: ${from} → ${to} (${reason})`,
    ip: formatIpv4(e.ip),
    mac: e.mac,
    from,
    to,
    reason,
  });
}

function sendFrame(ns: NetNamespace, dev: Device, dst: string, payload: Ipv4Payload | ArpPayload, packetId: number, bridged?: NeighbourPending["bridgedDnat"]): void {
  const frame = ns.ctx.buildFrame(dev.mac, dst, payload, packetId);
  if (bridged !== undefined && dev.kind === "bridge") (dev as Bridge).transmitBridgedDnat(frame, bridged.ingress, ns.ctx.buildFrame(bridged.src, dst, payload, packetId), bridged.token);
  else dev.transmit(frame);
}

/**
 * arp_solicit's sender address, by arp_announce (the larger of conf.all and
 * the device's): 0 (and any value but 1 and 2) the source of the newest
 * packet waiting for the answer when it is a local address; 1 that source
 * only when it shares a subnet of the device with the target; 2 never. Else
 * the device's address for the target (inet_select_addr).
 */
function requestSource(ns: NetNamespace, dev: Device, e: NeighbourEntry): number {
  const waiting = ns.pending.get(key(e.dev, e.ip))?.at(-1)?.payload.src;
  const announce = Math.max(ns.ipv4Conf.all.arpAnnounce, dev.arpAnnounce);
  if (waiting !== undefined && announce !== 2 && ns.holdsAddress(waiting)) {
    const onlink = dev.addresses.some((a) => {
      const mask = a.prefixLength === 0 ? 0 : (0xffffffff << (32 - a.prefixLength)) >>> 0;
      return ((a.address ^ e.ip) & mask) === 0 && ((a.address ^ waiting) & mask) === 0;
    });
    if (announce !== 1 || onlink) return waiting;
  }
  return ns.sourceFor(dev, null, e.ip);
}

function sendRequest(ns: NetNamespace, dev: Device, e: NeighbourEntry, unicast: boolean): void {
  const src = requestSource(ns, dev, e);
  const packetId = ns.ctx.nextPacketId();
  const payload: ArpPayload = { kind: "arp", op: "request", senderMac: dev.mac, senderIp: src, targetMac: "00:00:00:00:00:00", targetIp: e.ip };
  e.probes++;
  const frame = ns.ctx.buildFrame(dev.mac, unicast && e.mac !== null ? e.mac : BROADCAST_MAC, payload, packetId);
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "arp-request",
    host: ns.host,
    namespace: ns.name,
    device: dev.name,
    packetId,
    layers: frame.layers,
    summary: `${dev.name}: who has ${formatIpv4(e.ip)}? tell ${formatIpv4(src)} (${unicast ? `unicast probe to ${e.mac}` : "broadcast"}, try ${e.probes})`,
    targetIp: formatIpv4(e.ip),
    senderIp: formatIpv4(src),
    senderMac: dev.mac,
    unicast,
  });
  dev.transmit(frame);
}

function schedule(ns: NetNamespace, e: NeighbourEntry, delay: number, fire: () => void): void {
  const serial = ++e.timerSerial;
  ns.ctx.scheduler.after(delay, () => {
    if (e.timerSerial === serial && ns.neigh.get(e.dev, e.ip) === e) fire();
  });
}

function confirm(ns: NetNamespace, e: NeighbourEntry, mac: string, reason: string): void {
  e.mac = mac;
  e.confirmed = ns.ctx.scheduler.now;
  e.probes = 0;
  setState(ns, e, "REACHABLE", reason);
  watchReachable(ns, e, NEIGH.baseReachableTime);
  flushQueue(ns, e);
}

/**
 * neigh_timer_handler on a REACHABLE entry: it lasts base_reachable_time past
 * the last confirmation; then an entry used within delay_first_probe_time
 * goes to DELAY, any other to STALE.
 */
function watchReachable(ns: NetNamespace, e: NeighbourEntry, delay: number): void {
  schedule(ns, e, delay, () => {
    const now = ns.ctx.scheduler.now;
    const left = e.confirmed + NEIGH.baseReachableTime - now;
    if (left > 0) return watchReachable(ns, e, left);
    const dev = ns.device(e.dev);
    if (dev !== undefined && now <= e.used + NEIGH.delayFirstProbeTime) {
      enterDelay(ns, dev, e, `no confirmation for ${NEIGH.baseReachableTime / 1_000_000} s, used since`);
      return;
    }
    setState(ns, e, "STALE", `no confirmation for ${NEIGH.baseReachableTime / 1_000_000} s`);
  });
}

/**
 * DELAY: the entry keeps sending to the MAC it has while upper layers get
 * delay_first_probe_time to confirm it. When the timer runs out, a
 * confirmation since it was set makes the entry REACHABLE; without one it
 * goes to PROBE and asks the neighbour itself, by unicast.
 */
function enterDelay(ns: NetNamespace, dev: Device, e: NeighbourEntry, reason: string): void {
  setState(ns, e, "DELAY", reason);
  schedule(ns, e, NEIGH.delayFirstProbeTime, () => {
    const now = ns.ctx.scheduler.now;
    if (now <= e.confirmed + NEIGH.delayFirstProbeTime) {
      setState(ns, e, "REACHABLE", "confirmed by upper-layer traffic during the delay");
      watchReachable(ns, e, e.confirmed + NEIGH.baseReachableTime - now);
      return;
    }
    setState(ns, e, "PROBE", `not confirmed within ${NEIGH.delayFirstProbeTime / 1_000_000} s`);
    e.probes = 0;
    sendRequest(ns, dev, e, true);
    retransmit(ns, dev, e, NEIGH.ucastSolicit, true);
  });
}

function flushQueue(ns: NetNamespace, e: NeighbourEntry): void {
  const q = ns.pending.get(key(e.dev, e.ip));
  if (q === undefined) return;
  ns.pending.delete(key(e.dev, e.ip));
  const dev = ns.device(e.dev);
  if (dev === undefined || e.mac === null) return;
  for (const p of q) sendFrame(ns, dev, e.mac, p.payload, p.packetId, p.bridgedDnat);
}

function fail(ns: NetNamespace, e: NeighbourEntry): void {
  setState(ns, e, "FAILED", `no reply after ${e.probes} requests`);
  const q = ns.pending.get(key(e.dev, e.ip)) ?? [];
  ns.pending.delete(key(e.dev, e.ip));
  for (const p of q) hooks.resolutionFailed(ns, p, e);
}

function retransmit(ns: NetNamespace, dev: Device, e: NeighbourEntry, limit: number, unicast: boolean): void {
  schedule(ns, e, NEIGH.retransTime, () => {
    if (e.probes >= limit) return fail(ns, e);
    sendRequest(ns, dev, e, unicast);
    retransmit(ns, dev, e, limit, unicast);
  });
}

/** Sends an IPv4 packet to `nextHop` on `dev`, resolving its MAC first when needed. */
export function neighOutput(ns: NetNamespace, dev: Device, nextHop: number, pending: NeighbourPending): void {
  const now = ns.ctx.scheduler.now;
  let e = ns.neigh.get(dev.name, nextHop);
  if (e === undefined) {
    const made = ns.neigh.create(dev.name, nextHop, now);
    if (isLimitReached(made)) {
      dropPacket(ns, {
        device: dev.name,
        packetId: pending.packetId,
        layers: null,
        summary: `neighbour table overflow: no entry for ${formatIpv4(nextHop)} on ${dev.name} (the session's limit of ${made.limit} neighbour entries); packet dropped`,
        reason: "neighbour-table-full",
        detail: `limit of ${made.limit} neighbour entries reached`,
      });
      return;
    }
    e = made;
  }
  e.used = now;
  switch (e.state) {
    case "PERMANENT":
    case "REACHABLE":
    case "DELAY":
    case "PROBE":
      sendFrame(ns, dev, e.mac!, pending.payload, pending.packetId, pending.bridgedDnat);
      return;
    case "STALE":
      enterDelay(ns, dev, e, "stale entry used to send");
      sendFrame(ns, dev, e.mac!, pending.payload, pending.packetId, pending.bridgedDnat);
      return;
    case "INCOMPLETE":
      enqueue(ns, e, pending);
      return;
    case "NONE":
    case "FAILED":
      e.probes = 0;
      setState(ns, e, "INCOMPLETE", `${formatIpv4(nextHop)} has no link-layer address yet`);
      enqueue(ns, e, pending);
      sendRequest(ns, dev, e, false);
      retransmit(ns, dev, e, NEIGH.mcastSolicit, false);
      return;
  }
}

function enqueue(ns: NetNamespace, e: NeighbourEntry, p: NeighbourPending): void {
  const k = key(e.dev, e.ip);
  let q = ns.pending.get(k);
  if (q === undefined) ns.pending.set(k, (q = []));
  if (q.length >= NEIGH.unresQlen) {
    const old = q.shift()!;
    dropPacket(ns, {
      device: e.dev,
      packetId: old.packetId,
      layers: null,
      summary: `ARP queue for ${formatIpv4(e.ip)} is full: oldest packet dropped`,
      reason: "queue-full",
      detail: `unres_qlen ${NEIGH.unresQlen}`,
    });
  }
  q.push(p);
}

/** An ARP packet arrived on `dev`. */
export function arpInput(ns: NetNamespace, dev: Device, frame: Frame, arp: ArpPayload): void {
  // arp_process: a request for an address routed out of another device is answered when the
  // receiving device has proxy_arp on (Calico's cali* ends answer for 169.254.1.1).
  const proxied =
    !ns.isLocalAddress(arp.targetIp) &&
    arp.op === "request" &&
    (dev.proxyArp || ns.ipv4Conf.all.proxyArp !== 0) &&
    (ns.routes.lookup(arp.targetIp, (r) => r.table === "main" && ns.routeUsable(r)).route?.dev ?? dev.name) !== dev.name;
  if (!ns.isLocalAddress(arp.targetIp) && !proxied) {
    dropPacket(ns, {
      device: dev.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `${dev.name}: ARP ${arp.op} for ${formatIpv4(arp.targetIp)} is not for this namespace, ignored`,
      reason: "not-for-host",
      detail: `${formatIpv4(arp.targetIp)} is not a local address`,
    });
    return;
  }
  const now = ns.ctx.scheduler.now;
  let e = ns.neigh.get(dev.name, arp.senderIp);
  // arp_process routes a request as input from its sender first: from a martian source it is neither answered nor learnt.
  const martian = arp.op === "request" ? martianSource(ns, dev, arp.senderIp) : null;
  if (martian !== null) {
    dropPacket(ns, {
      device: dev.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `${dev.name}: ARP request from martian source ${formatIpv4(arp.senderIp)} ignored: ${martian.why}`,
      reason: "rp-filter",
      detail: martian.detail,
    });
    return;
  }
  if (arp.op === "request") {
    if (e === undefined || e.state === "NONE" || e.state === "FAILED" || e.state === "INCOMPLETE" || e.mac !== arp.senderMac) {
      if (e === undefined) {
        const made = ns.neigh.create(dev.name, arp.senderIp, now);
        // A full table learns nothing; the request is answered all the same.
        e = isLimitReached(made) ? undefined : made;
      }
      if (e !== undefined && e.state !== "PERMANENT") {
        e.mac = arp.senderMac;
        setState(ns, e, "STALE", `ARP request from ${formatIpv4(arp.senderIp)} tells its address`);
        flushQueue(ns, e);
      }
    }
    answer(ns, dev, arp, proxied);
    return;
  }
  // A reply: only an entry we are resolving (or probing) takes it.
  if (e === undefined || e.state === "NONE" || e.state === "FAILED") {
    dropPacket(ns, {
      device: dev.name,
      packetId: frame.packetId,
      layers: frame.layers,
      summary: `${dev.name}: unsolicited ARP reply from ${formatIpv4(arp.senderIp)} ignored (arp_accept=0)`,
      reason: "not-for-host",
      detail: "unsolicited ARP reply",
    });
    return;
  }
  if (e.state === "PERMANENT") return;
  confirm(ns, e, arp.senderMac, `ARP reply from ${arp.senderMac}`);
}

function answer(ns: NetNamespace, dev: Device, arp: ArpPayload, proxy: boolean): void {
  const reply: ArpPayload = { kind: "arp", op: "reply", senderMac: dev.mac, senderIp: arp.targetIp, targetMac: arp.senderMac, targetIp: arp.senderIp };
  const packetId = ns.ctx.nextPacketId();
  const out = ns.ctx.buildFrame(dev.mac, arp.senderMac, reply, packetId);
  ns.ctx.trace.emit({
    seq: 0,
    time: 0,
    kind: "arp-reply",
    host: ns.host,
    namespace: ns.name,
    device: dev.name,
    packetId,
    layers: out.layers,
    summary: `${dev.name}: ${formatIpv4(arp.targetIp)} is at ${dev.mac} (${proxy ? "proxy ARP " : ""}reply to ${formatIpv4(arp.senderIp)})`,
    senderIp: formatIpv4(arp.targetIp),
    senderMac: dev.mac,
    targetIp: formatIpv4(arp.senderIp),
    targetMac: arp.senderMac,
    proxy,
  });
  dev.transmit(out);
}

/**
 * An upper layer saw the neighbour answer (TCP progress): Linux's
 * dst_confirm → neigh_confirm only stamps the entry; its state changes when
 * its timer next looks (a DELAY entry stays DELAY until then).
 */
export function confirmNeighbour(ns: NetNamespace, dev: string, ip: number): void {
  const e = ns.neigh.get(dev, ip);
  if (e === undefined) return;
  e.confirmed = ns.ctx.scheduler.now;
}

/** The states a user (`ip neigh`, `arp -s`) or a daemon (flanneld) may give an entry. */
export type NeighUpdateState = "PERMANENT" | "REACHABLE" | "STALE";

/** NUD_VALID: the states in which an entry has a link-layer address to send to. */
const VALID: ReadonlySet<NeighbourState> = new Set(["PERMANENT", "REACHABLE", "STALE", "DELAY", "PROBE"]);

/**
 * neigh_update, as `ip neigh add|replace|change`, `arp -s` and overlay daemons
 * reach it: the entry (made when absent) takes the address and state given,
 * with an event; the timers of its old state stop and REACHABLE arms its own;
 * an entry that had no valid address sends the packets queued while it was
 * resolving. The limit when the session's neighbour table has no room.
 */
export function neighUpdate(ns: NetNamespace, dev: Device, ip: number, mac: string, state: NeighUpdateState, reason: string): NeighbourEntry | LimitReached {
  const now = ns.ctx.scheduler.now;
  let e = ns.neigh.get(dev.name, ip);
  if (e === undefined) {
    const made = ns.neigh.create(dev.name, ip, now);
    if (isLimitReached(made)) return made;
    e = made;
  }
  const hadAddress = e.mac !== null && VALID.has(e.state);
  const changed = e.mac !== mac;
  e.mac = mac;
  e.probes = 0;
  // Whatever timer the old state had armed stops here.
  e.timerSerial++;
  if (state === "REACHABLE") e.confirmed = now;
  setState(ns, e, state, reason, changed);
  if (state === "REACHABLE") watchReachable(ns, e, NEIGH.baseReachableTime);
  if (!hadAddress) flushQueue(ns, e);
  return e;
}

/**
 * An entry deleted (`ip neigh del|flush`, `arp -d`): it goes with an event,
 * and the packets it held waiting for an address are dropped with it
 * (neigh_mark_dead purges the queue; no ICMP is sent). False when absent.
 */
export function neighDelete(ns: NetNamespace, devName: string, ip: number, reason: string): boolean {
  const e = ns.neigh.get(devName, ip);
  if (e === undefined) return false;
  e.timerSerial++;
  setState(ns, e, "NONE", reason);
  ns.neigh.delete(devName, ip);
  const q = ns.pending.get(key(devName, ip)) ?? [];
  ns.pending.delete(key(devName, ip));
  for (const p of q) {
    dropPacket(ns, {
      device: devName,
      packetId: p.packetId,
      layers: null,
      summary: `packet to ${formatIpv4(p.payload.dst)} dropped: the neighbour entry for ${formatIpv4(ip)} it waited for was deleted`,
      reason: "arp-failed",
      detail: `neighbour ${formatIpv4(ip)} on ${devName} deleted`,
    });
  }
  return true;
}

