/**
 * The per-device block that `ip link` and `ip address` share: the header line
 * (index, name@peer, flags, mtu, qdisc, master, state), the link/ether line,
 * the -d (details) and -s (statistics) lines, and the -br name column.
 *
 * Every device has `qlen 1000` but TUN's 500; the qdisc is `noqueue` (TUN's `pfifo_fast`) once a virtual device
 * (IFF_NO_QUEUE: veth, bridge, VXLAN, dummy) has been up and `noop` before (device-history.ts).
 */
import { Vxlan } from "../link/vxlan.js";
import { formatIpv4 } from "../wire/ipv4-address.js";
import { Bridge } from "../link/bridge.js";
import type { Device } from "../link/device.js";
import type { CommandContext } from "./command-context.js";
import { hasBeenUp } from "./device-history.js";
import { iproute2BridgeId, masterBridge, portCost, portNumber, portState } from "./bridge-port.js";
import { iproute2Flags, operState } from "./link-flags.js";
import { ipLinkSuffix, linkNetnsLabel } from "./link-peer.js";
import { linkInfoKind, mtuBounds } from "./link-kind.js";

type View = Pick<CommandContext, "host" | "ns" | "net">;

/** IFLA_INFO_KIND / IFLA_INFO_SLAVE_KIND: what `ip link show type T` matches. lo and NICs have no kind. */
export function matchesLinkType(dev: Device, type: string): boolean {
  if (type === "bridge_slave") return masterBridge(dev) !== null;
  return linkInfoKind(dev.kind) === type;
}

export function nameWithPeer(dev: Device, view: View): string {
  return `${dev.name}${ipLinkSuffix(dev, view.ns)}`;
}

function qdisc(dev: Device): "noqueue" | "noop" | "pfifo_fast" {
  if (!hasBeenUp(dev)) return "noop";
  // A TUN device has a transmit queue (txqueuelen 500), so it gets the default qdisc; other virtual devices none.
  return dev.kind === "tun" ? "pfifo_fast" : "noqueue";
}

/** txqueuelen: TUN's TUN_READQ_SIZE, everyone else's 1000. */
function qlen(dev: Device): number {
  return dev.kind === "tun" ? 500 : 1000;
}

/** "2: eth0@if3: <...> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000". */
export function linkHeader(dev: Device, view: View, opts: { mode: boolean }): string {
  const master = dev.master !== null ? ` master ${dev.master.name}` : "";
  const mode = opts.mode ? " mode DEFAULT" : "";
  return `${dev.ifindex}: ${nameWithPeer(dev, view)}: ${iproute2Flags(dev, view.ns)} mtu ${dev.mtu} qdisc ${qdisc(dev)}${master} state ${operState(dev, view.ns)}${mode} group default qlen ${qlen(dev)}`;
}

/** The header as the IPv6 module reports a link (`ip -6 address`): fewer attributes. */
export function linkHeaderInet6(dev: Device, view: View): string {
  return `${dev.ifindex}: ${nameWithPeer(dev, view)}: ${iproute2Flags(dev, view.ns)} mtu ${dev.mtu} state ${operState(dev, view.ns)} qlen ${qlen(dev)}`;
}

/** "    link/ether 02:42:ac:11:00:02 brd ff:ff:ff:ff:ff:ff link-netnsid 0", with -d's generic attributes. */
export function linkAddressLine(dev: Device, view: View, details: boolean): string {
  const type =
    dev.kind === "loopback"
      ? `link/loopback ${dev.mac} brd 00:00:00:00:00:00`
      : dev.kind === "tun"
        ? "link/none "
        : dev.kind === "ipip"
          ? "link/ipip 0.0.0.0 brd 0.0.0.0"
          : `link/ether ${dev.mac} brd ff:ff:ff:ff:ff:ff`;
  const netns = linkNetnsLabel(dev, view.host, view.ns);
  let line = `    ${type}${netns !== null ? ` ${netns}` : ""}`;
  if (details) {
    const promisc = dev.master !== null ? 1 : 0;
    const bounds = mtuBounds(dev);
    line += ` promiscuity ${promisc}  allmulti ${promisc} minmtu ${bounds.min} maxmtu ${bounds.max} `;
  }
  return line;
}

function queueAttributes(dev: Device): string {
  const queues = dev.kind === "veth" ? 2 : 1;
  return `addrgenmode eui64 numtxqueues ${queues} numrxqueues ${queues} gso_max_size 65536 gso_max_segs 65535 tso_max_size 524280 tso_max_segs 65535 gro_max_size 65536 `;
}

/** %7.2f of a timer in seconds, as iproute2 prints bridge timers. */
function timer(seconds: number): string {
  return seconds.toFixed(2).padStart(7);
}

function bridgeAttributes(br: Bridge, now: number): string {
  const id = iproute2BridgeId(br);
  const ageing = br.ageingTime;
  // The FDB garbage collector runs once per ageing period; show the time to its next run.
  const gc = ageing > 0 ? (ageing - (now % ageing)) / 1e6 : 0;
  return (
    `bridge forward_delay 1500 hello_time 200 max_age 2000 ageing_time ${Math.round(ageing / 10_000)} stp_state 0 priority 32768 vlan_filtering 0 ` +
    `bridge_id ${id} designated_root ${id} root_port 0 root_path_cost 0 topology_change 0 topology_change_detected 0 ` +
    `hello_timer ${timer(0)} tcn_timer ${timer(0)} topology_change_timer ${timer(0)} gc_timer ${timer(gc)} group_fwd_mask 0 group_address 01:80:c2:00:00:00 ` +
    "mcast_snooping 1 no_linklocal_learn 0 mcast_vlan_snooping 0 mcast_router 1 mcast_query_use_ifaddr 0 mcast_querier 0 mcast_hash_elasticity 16 mcast_hash_max 4096 " +
    "mcast_last_member_count 2 mcast_startup_query_count 2 mcast_last_member_interval 100 mcast_membership_interval 26000 mcast_querier_interval 25500 " +
    "mcast_query_interval 12500 mcast_query_response_interval 1000 mcast_startup_query_interval 3124 mcast_stats_enabled 0 mcast_igmp_version 2 mcast_mld_version 1 " +
    "nf_call_iptables 0 nf_call_ip6tables 0 nf_call_arptables 0 "
  );
}

function bridgeSlaveAttributes(br: Bridge, port: Device): string {
  const n = portNumber(br, port);
  const id = iproute2BridgeId(br);
  return (
    `bridge_slave state ${portState(br, port)} priority 32 cost ${portCost(port)} hairpin ${br.hairpin.has(port) ? "on" : "off"} guard off root_block off fastleave off learning on flood on ` +
    `port_id 0x${(0x8000 + n).toString(16)} port_no 0x${n.toString(16)} designated_port ${0x8000 + n} designated_cost 0 designated_bridge ${id} designated_root ${id} ` +
    `hold_timer ${timer(0)} message_age_timer ${timer(0)} forward_delay_timer ${timer(0)} topology_change_ack 0 config_pending 0 proxy_arp off proxy_arp_wifi off ` +
    "mcast_router 1 mcast_fast_leave off mcast_flood on bcast_flood on mcast_to_unicast off neigh_suppress off group_fwd_mask 0 group_fwd_mask_str 0x0 " +
    "vlan_tunnel off isolated off locked off "
  );
}

/**
 * The -d lines after the link line. The link line itself ends with the generic
 * attributes; the device kind (veth, bridge) and its bridge_slave data follow
 * on lines of their own, and the queue attributes close whichever came last.
 */
export function linkDetailLines(dev: Device, linkLine: string, now: number): string[] {
  const lines = [linkLine];
  const append = (text: string) => (lines[lines.length - 1] += text);
  // Kinds with no IFLA_INFO_DATA of their own print the kind alone (print_linktype: veth, dummy).
  if (dev.kind === "veth" || dev.kind === "dummy") lines.push(`    ${dev.kind} `);
  if (dev instanceof Vxlan) {
    const c = dev.config;
    const remote = dev.fdb.get("00:00:00:00:00:00");
    const where = `${remote !== undefined ? ` remote ${formatIpv4(remote)}` : ""}${c.local !== 0 ? ` local ${formatIpv4(c.local)}` : ""}${c.underlay !== "" ? ` dev ${c.underlay}` : ""}`;
    lines.push(
      `    vxlan id ${c.vni}${where} srcport 0 0 dstport ${c.port}${c.learning === true ? "" : " nolearning"} ttl auto ageing 300 udpcsum noudp6zerocsumtx noudp6zerocsumrx `,
    );
  }
  if (dev instanceof Bridge) lines.push(`    ${bridgeAttributes(dev, now)}`);
  const master = masterBridge(dev);
  if (master !== null) lines.push(`    ${bridgeSlaveAttributes(master, dev)}`);
  append(queueAttributes(dev));
  return lines;
}

/** -s (and -s -s) counters, columns sized as iproute2's size_columns does. */
export function linkStatsLines(dev: Device, level: number): string[] {
  const s = dev.stats;
  const cols = [10, 7, 6, 7, 7, 7];
  const rx = [s.rxBytes, s.rxPackets, 0, s.rxDropped, 0, 0];
  const tx = [s.txBytes, s.txPackets, 0, s.txDropped, 0, 0];
  for (const values of [rx, tx]) values.forEach((v, i) => (cols[i] = Math.max(cols[i]!, String(v).length)));
  const row = (values: readonly (number | string)[]) => "    " + values.map((v, i) => String(v).padStart(cols[i]!)).join(" ") + " ";
  const head = (label: string, names: string[]) =>
    `    ${label}: ${names[0]!.padStart(cols[0]! - 4)} ${names.slice(1).map((n, i) => n.padStart(cols[i + 1]!)).join(" ")}${" ".repeat(11)}`;
  const lines = [head("RX", ["bytes", "packets", "errors", "dropped", "missed", "mcast"]), row(rx)];
  if (level > 1) lines.push("    RX errors:  length    crc   frame    fifo overrun", row(["", 0, 0, 0, 0, 0]));
  lines.push(head("TX", ["bytes", "packets", "errors", "dropped", "carrier", "collsns"]), row(tx));
  if (level > 1) lines.push("    TX errors: aborted   fifo  window heartbt transns", row(["", 0, 0, 0, 0, 0]));
  return lines;
}
