/**
 * Frames captured from Linux (test/fixtures/linux/capture-*.pcap, how each was
 * made is in that folder's README) and the simulator's frames for the same
 * traffic, both reduced to the header fields that are not random, so a test
 * can hold one list against the other. ICMP ids, TCP sequence numbers and
 * timestamps' values and IP ids other than 0 are left out; MACs and addresses are kept (the fixtures
 * use the chapter topology's).
 */
import { readFileSync } from "node:fs";
import type { Device } from "../../../server/engine/link/device.js";
import type { Frame } from "../../../server/engine/link/frame.js";
import { decodeFrame, type DecodedFrame, type DecodedLayer } from "../../../server/engine/wire/packet.js";
import { readPcap } from "../../helpers/capture-file.js";

export function linuxCapture(name: string): DecodedFrame[] {
  const file = readPcap(new Uint8Array(readFileSync(`test/fixtures/linux/${name}.pcap`)));
  // A sender's checksums may be left to the NIC (offload), so a capture's are not checked.
  return file.frames.map((f) => decodeFrame(f.bytes, { verifyChecksums: false, vxlanPorts: [4789, 8472] }));
}

/** A capture hook keeping, per "namespace/device", the frames a device sent and received. */
export function frameRecorder(): { capture: (dev: Device, frame: Frame) => void; frames: (where: string) => DecodedFrame[] } {
  const seen = new Map<string, DecodedFrame[]>();
  return {
    capture: (dev, frame) => {
      const key = `${dev.ns.name}/${dev.name}`;
      let list = seen.get(key);
      if (list === undefined) seen.set(key, (list = []));
      list.push(frame.layers);
    },
    frames: (where) => seen.get(where) ?? [],
  };
}

function describeLayer(l: DecodedLayer): string {
  switch (l.kind) {
    case "ethernet":
      return `${l.src} > ${l.dst}`;
    case "arp":
      return `arp ${l.operation} ${l.senderIp} > ${l.targetIp}`;
    case "ipv4":
      // The id's value is drawn at random (a hash, or a socket's random start); whether it is 0 is not.
      return `ip ${l.src} > ${l.dst}${l.identification === 0 ? " id 0" : ""} tos 0x${(((l.dscp << 2) | l.ecn) >>> 0).toString(16)} ttl ${l.ttl}${l.dontFragment ? " DF" : ""} len ${l.totalLength}`;
    case "icmp":
      return l.type === "other" ? `icmp ${l.icmpType}/${l.code} len ${l.length}` : `icmp ${l.type}${"code" in l ? ` ${l.code}` : ""} len ${l.length}`;
    case "tcp": {
      const options = l.options.map((o) => (o.kind === "timestamps" ? "TS" : o.kind === "mss" ? `mss ${o.value}` : o.kind === "window-scale" ? `wscale ${o.shift}` : o.kind)).join(",");
      const flags = (["syn", "fin", "rst", "psh", "ack"] as const).filter((f) => l.flags[f]).join("|");
      return `tcp ${l.srcPort === 80 ? "80" : "client"} > ${l.dstPort === 80 ? "80" : "client"} [${flags}] win ${l.window} <${options}> data ${l.payloadLength}`;
    }
    case "udp":
      return `udp > ${l.dstPort} len ${l.payloadLength}`;
    case "vxlan":
      return `vxlan ${l.vni}`;
    case "dns":
      return `dns ${l.response ? "response" : "query"} ${l.questions.map((q) => `${q.type}? ${q.name}`).join(",")} rcode ${l.rcode}`;
    case "raw":
    case "malformed":
      return l.kind;
  }
}

/** One line per frame: each layer's fields that are not random. */
export function headerLines(frames: readonly DecodedFrame[]): string[] {
  return frames.map((f) => f.map(describeLayer).join(" | "));
}
