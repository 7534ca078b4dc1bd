/**
 * A captured frame as the fields the comparison looks at, decoded with the
 * engine's own decoder (decodeFrame). Fields the kernel draws at random are
 * replaced by their role, numbered by first appearance (both sides walk
 * their frames in the same order: interface by interface, in capture order):
 * ICMP echo identifiers, ports from 1024 up (ephemeral ports, ports
 * MASQUERADE --random-fully draws, VXLAN's source ports), TCP sequence numbers (relative to each
 * flow's first) and TCP timestamp values; an IP identification only says
 * whether it is zero. Checksums are left out (they follow
 * from the rest, and a capture of an outgoing packet holds a partial one
 * where the device offloads it); so is the destination MAC, which a cooked
 * capture does not keep (the packet type of frames in stands for it).
 */
import { decodeFrame, type DecodedLayer } from "../server/engine/index.js";
import type { CapturedFrame } from "./captured-frame.js";

export type FrameFields = [string, string][];

export class RoleMapper {
  private readonly seen = new Map<string, string>();
  private readonly counts = new Map<string, number>();
  private readonly isn = new Map<string, number>();

  role(category: string, value: number | string): string {
    const key = `${category}:${value}`;
    let r = this.seen.get(key);
    if (r === undefined) {
      const n = (this.counts.get(category) ?? 0) + 1;
      this.counts.set(category, n);
      this.seen.set(key, (r = `${category}#${n}`));
    }
    return r;
  }

  /** Ports from 1024 up, but the tunnels' own: a client's ephemeral port, or one MASQUERADE --random-fully drew. */
  port(p: number): string {
    return p >= 1024 && !TUNNEL_PORTS.has(p) ? this.role("port", p) : String(p);
  }

  /** A TCP sequence number relative to the first one seen in its flow. */
  relative(flow: string, seq: number): string {
    let base = this.isn.get(flow);
    if (base === undefined) this.isn.set(flow, (base = seq));
    return String((seq - base) >>> 0);
  }

  relativeAck(reverseFlow: string, ack: number): string {
    const base = this.isn.get(reverseFlow);
    return base === undefined ? this.role("ack", ack) : String((ack - base) >>> 0);
  }
}

const VXLAN_PORTS = [8472, 4789];
/** VXLAN's and flannel's UDP ports, fixed by configuration. */
const TUNNEL_PORTS = new Set([...VXLAN_PORTS, 8285]);

export function frameFields(frame: CapturedFrame, roles: RoleMapper): FrameFields {
  const bytes = frame.layer3 ? withEthernet(frame.bytes) : frame.bytes;
  const layers = decodeFrame(bytes, { vxlanPorts: VXLAN_PORTS, verifyChecksums: false });
  const fields: FrameFields = [["dir", frame.direction === "out" ? "out" : `in (${frame.to ?? "?"})`]];
  let prefix = "";
  let depth = 0;
  let ip: { src: string; dst: string } | null = null;
  for (const layer of layers) {
    // A packet inside an IPv4 packet (IPIP) is the inner one, as the frame inside VXLAN is: its fields must not
    // take the outer header's names, or the outer TTL and DF would never be compared.
    if (layer.kind === "ipv4" && ip !== null && prefix === "") prefix = "inner.";
    if (layer.kind === "ethernet") {
      if (depth > 0) prefix = "inner.";
      depth++;
      if (frame.layer3 && depth === 1) continue;
      fields.push([`${prefix}eth.src`, layer.src], [`${prefix}eth.type`, `0x${layer.etherType.toString(16).padStart(4, "0")}`]);
      if (depth > 1) fields.push([`${prefix}eth.dst`, layer.dst]);
      continue;
    }
    ip = addLayer(fields, prefix, layer, roles, ip);
  }
  return fields;
}

function addLayer(fields: FrameFields, p: string, layer: DecodedLayer, roles: RoleMapper, ip: { src: string; dst: string } | null): { src: string; dst: string } | null {
  const add = (name: string, value: string | number | boolean) => fields.push([`${p}${name}`, String(value)]);
  switch (layer.kind) {
    case "ethernet":
      return ip;
    case "arp":
      add("arp.op", layer.operation);
      add("arp.sender", `${layer.senderMac} ${layer.senderIp}`);
      add("arp.target", `${layer.targetMac} ${layer.targetIp}`);
      return ip;
    case "ipv4":
      add("ip.src", layer.src);
      add("ip.dst", layer.dst);
      add("ip.proto", layer.protocol);
      add("ip.ttl", layer.ttl);
      add("ip.tos", `0x${((layer.dscp << 2) | layer.ecn).toString(16).padStart(2, "0")}`);
      // Linux draws IP ids from a hash of addresses and a secret (or a socket's counter): only whether one is set compares.
      add("ip.id", layer.identification === 0 ? "0" : "set");
      add("ip.df", layer.dontFragment ? 1 : 0);
      add("ip.mf", layer.moreFragments ? 1 : 0);
      add("ip.frag", layer.fragmentOffset * 8);
      add("ip.hlen", layer.headerLength);
      add("ip.len", layer.totalLength);
      return { src: layer.src, dst: layer.dst };
    case "icmp":
      add("icmp.len", layer.length);
      switch (layer.type) {
        case "echo-request":
        case "echo-reply":
          add("icmp.type", layer.type);
          add("icmp.id", roles.role("icmpid", layer.identifier));
          add("icmp.seq", layer.sequence);
          return ip;
        case "destination-unreachable":
          add("icmp.type", `${layer.type}/${layer.code}`);
          if (layer.nextHopMtu !== null) add("icmp.mtu", layer.nextHopMtu);
          if (layer.quoted !== null) add("icmp.quoted", quoted(layer.quoted, roles));
          return ip;
        case "time-exceeded":
          add("icmp.type", `${layer.type}/${layer.code}`);
          if (layer.quoted !== null) add("icmp.quoted", quoted(layer.quoted, roles));
          return ip;
        case "other":
          add("icmp.type", `${layer.icmpType}/${layer.code}`);
          return ip;
      }
      return ip;
    case "tcp": {
      const flow = `${ip?.src}:${layer.srcPort}>${ip?.dst}:${layer.dstPort}`;
      const reverse = `${ip?.dst}:${layer.dstPort}>${ip?.src}:${layer.srcPort}`;
      add("tcp.sport", roles.port(layer.srcPort));
      add("tcp.dport", roles.port(layer.dstPort));
      const f = layer.flags as unknown as Record<string, boolean>;
      add("tcp.flags", Object.keys(f).filter((k) => f[k] === true).sort().join(","));
      add("tcp.seq", roles.relative(flow, layer.seq));
      if (f.ack === true) add("tcp.ack", roles.relativeAck(reverse, layer.ack));
      add("tcp.win", layer.window);
      add("tcp.hlen", layer.headerLength);
      add("tcp.options", layer.options.map(optionText).join(","));
      add("tcp.payload", layer.payloadLength);
      return ip;
    }
    case "udp":
      add("udp.sport", roles.port(layer.srcPort));
      add("udp.dport", roles.port(layer.dstPort));
      add("udp.payload", layer.payloadLength);
      return ip;
    case "vxlan":
      add("vxlan.vni", layer.vni);
      add("vxlan.flags", `0x${layer.flags.toString(16)}`);
      return ip;
    case "dns":
      // The id is the resolver's random draw: only the rest of the message compares.
      add("dns.qr", layer.response ? 1 : 0);
      add("dns.rcode", layer.rcode);
      add("dns.question", layer.questions.map((q) => `${q.type}? ${q.name}`).join(","));
      add("dns.answers", layer.answers.map((a) => `${a.type} ${a.data}`).join(","));
      return ip;
    case "raw":
      add("raw", `${layer.reason} ${layer.length}`);
      return ip;
    case "malformed":
      add("malformed", `${layer.protocol}: ${layer.error}`);
      return ip;
  }
}

function quoted(q: { src: string; dst: string; protocol: number; srcPort: number | null; dstPort: number | null }, roles: RoleMapper): string {
  const port = (p: number | null) => (p === null ? "" : `:${roles.port(p)}`);
  return `${q.src}${port(q.srcPort)} > ${q.dst}${port(q.dstPort)} proto ${q.protocol}`;
}

/** TCP options by kind; MSS and window scale with their values, timestamps without theirs (a clock's reading). */
function optionText(o: unknown): string {
  const opt = o as Record<string, unknown>;
  const kind = String(opt.kind ?? opt.type ?? "?");
  if (kind === "mss" || kind === "window-scale" || kind === "wscale") return `${kind}=${String(opt.value ?? opt.mss ?? opt.shift ?? "")}`;
  return kind;
}

function withEthernet(ipPacket: Uint8Array): Uint8Array {
  const b = new Uint8Array(14 + ipPacket.length);
  b[12] = 0x08;
  b.set(ipPacket, 14);
  return b;
}

/** A short label for a frame in the report: "out icmp echo-request 172.17.0.2 > 172.17.0.3". */
export function frameLabel(fields: FrameFields): string {
  const get = (name: string) => fields.find(([k]) => k === name)?.[1];
  const proto = get("icmp.type") ?? (get("tcp.flags") !== undefined ? `tcp [${get("tcp.flags")}]` : undefined) ?? (get("udp.dport") !== undefined ? `udp ${get("udp.sport")}>${get("udp.dport")}` : undefined) ?? (get("ip.proto") === "4" ? "ipip" : undefined);
  if (get("arp.op") !== undefined) return `${get("dir")} arp ${get("arp.op")} ${get("arp.target")?.split(" ")[1]}`;
  const inner = get("inner.icmp.type") ?? get("inner.arp.op");
  return `${get("dir")} ${proto ?? get("eth.type") ?? "?"} ${get("ip.src") ?? ""} > ${get("ip.dst") ?? ""}${inner === undefined ? "" : ` (inner ${inner})`}`.trim();
}
