/**
 * A session's frames as capture files. The trace does not keep frame bytes,
 * so the session is replayed (the engine is deterministic: the same frames,
 * at the same virtual times) with the engine's capture hook on, and every
 * frame a selected device sent or received is kept. Then one device becomes a
 * classic pcap, several become a pcapng with one interface block per device
 * ("host/namespace/device"). TUN and IPIP devices carry bare IP packets, so
 * their frames are written without the simulator's Ethernet header, under
 * LINKTYPE_RAW, as tcpdump on such a device records them.
 *
 * A device's frames are what `tcpdump -i DEV` would record: promiscuous by
 * default, so a bridge's capture holds the frames it bridges between its
 * ports as well as those for its own interface; `promiscuous: false` gives
 * `tcpdump -p`'s view instead. On lo a packet is recorded once, coming in.
 * In a pcapng every packet says whether the device received or sent it
 * (epb_flags); classic pcap has no field for that.
 *
 * A capture has a size limit: once the selected frames would make a file
 * larger than it, the replay stops and the answer says so (the caller answers
 * 413 and suggests a narrower selection). A generator, like the replay, so
 * its host can share a thread with other work.
 */
import type { Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import { isLayer3Device } from "../link/point-to-point.js";
import { replaySteps, type ReplayInputs } from "../replay.js";
import { ROOT_NAMESPACE } from "../topology/topology-schema.js";
import { ETHERNET_HEADER_LENGTH } from "../wire/ethernet.js";
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, writePcap, writePcapng, type CapturedFrame } from "../wire/pcap.js";

export interface DeviceSelection {
  host?: string | undefined;
  /** The device's namespace; a device without one means the host's root namespace, as on Linux. */
  namespace?: string | undefined;
  device?: string | undefined;
  /** As tcpdump without -p (the default): a bridge's capture includes the frames it bridges between ports. */
  promiscuous?: boolean | undefined;
}

export interface CaptureDevice {
  host: string;
  namespace: string;
  device: string;
  /** LINKTYPE_ETHERNET, or LINKTYPE_RAW for a device that carries bare IP packets. */
  linkType: number;
}

export type CaptureOutcome =
  | {
      kind: "ok";
      format: "pcap" | "pcapng";
      bytes: Uint8Array;
      /** The devices in the file, in interface order. */
      devices: CaptureDevice[];
    }
  | { kind: "invalid-topology"; message: string }
  | { kind: "device-not-found"; message: string }
  | { kind: "too-large"; limit: number; message: string };

/** Bytes a frame costs in either format at most: its data padded to 4 bytes, and a pcapng enhanced packet block's 32 bytes of framing and 12 of epb_flags. */
const FRAME_OVERHEAD = 32 + 12 + 3;

const linkTypeOf = (kind: string) => (isLayer3Device(kind) ? LINKTYPE_RAW : LINKTYPE_ETHERNET);
export const deviceName = (d: CaptureDevice) => `${d.host}/${d.namespace}/${d.device}`;

export function* captureSteps(inputs: ReplayInputs, selection: DeviceSelection, maxBytes: number): Generator<void, CaptureOutcome, void> {
  const namespace = selection.namespace ?? (selection.device !== undefined ? ROOT_NAMESPACE : undefined);
  const wanted = (host: string, ns: string, device: string) =>
    (selection.host === undefined || host === selection.host) && (namespace === undefined || ns === namespace) && (selection.device === undefined || device === selection.device);

  const seen = new Map<string, { device: CaptureDevice; id: number }>();
  const frames: CapturedFrame[] = [];
  let size = 0;
  let tooLarge = false;
  const promiscuous = selection.promiscuous !== false;
  const capture = (dev: Device, frame: Frame, direction: "tx" | "rx", time: number, promiscuousOnly: boolean) => {
    if (tooLarge || (promiscuousOnly && !promiscuous) || !wanted(dev.ns.host, dev.ns.name, dev.name)) return;
    const key = `${dev.ns.host}/${dev.ns.name}/${dev.name}`;
    let entry = seen.get(key);
    if (entry === undefined) {
      const device = { host: dev.ns.host, namespace: dev.ns.name, device: dev.name, linkType: linkTypeOf(dev.kind) };
      seen.set(key, (entry = { device, id: seen.size }));
    }
    // frame.bytes is a view into a buffer the engine reuses.
    const bytes = entry.device.linkType === LINKTYPE_RAW ? frame.bytes.slice(ETHERNET_HEADER_LENGTH) : frame.bytes.slice();
    size += bytes.length + FRAME_OVERHEAD;
    if (size > maxBytes) {
      tooLarge = true;
      frames.length = 0;
      return;
    }
    frames.push({ timeMicros: time, interfaceIndex: entry.id, bytes, direction: direction === "rx" ? "inbound" : "outbound" });
  };

  const replay = replaySteps(inputs, capture);
  let next = replay.next();
  while (next.done !== true) {
    if (tooLarge) {
      return { kind: "too-large", limit: maxBytes, message: tooLargeMessage(maxBytes, selection) };
    }
    yield;
    next = replay.next();
  }
  if (tooLarge) return { kind: "too-large", limit: maxBytes, message: tooLargeMessage(maxBytes, selection) };
  const outcome = next.value;
  if (outcome.kind === "invalid-topology") return outcome;

  // Devices in the order `ip link` would list them, then the ones deleted since.
  const devices: CaptureDevice[] = [];
  const indexOfId = new Map<number, number>();
  const add = (device: CaptureDevice) => {
    const entry = seen.get(deviceName(device));
    if (entry !== undefined) {
      if (indexOfId.has(entry.id)) return;
      indexOfId.set(entry.id, devices.length);
    }
    devices.push(device);
  };
  for (const host of outcome.engine.state().hosts) {
    for (const ns of host.namespaces) {
      for (const itf of ns.interfaces) {
        if (wanted(host.name, ns.name, itf.name)) add({ host: host.name, namespace: ns.name, device: itf.name, linkType: linkTypeOf(itf.kind) });
      }
    }
  }
  for (const entry of seen.values()) add(entry.device);
  if (devices.length === 0) {
    const what = [selection.host && `host ${selection.host}`, selection.namespace && `namespace ${selection.namespace}`, selection.device && `device ${selection.device}`]
      .filter(Boolean)
      .join(", ");
    return { kind: "device-not-found", message: `No device in this session matches ${what}` };
  }
  const ordered = frames.map((f) => ({ ...f, interfaceIndex: indexOfId.get(f.interfaceIndex)! }));
  if (selection.device !== undefined) {
    return { kind: "ok", format: "pcap", bytes: writePcap(ordered, { linkType: devices[0]!.linkType }), devices: devices.slice(0, 1) };
  }
  return {
    kind: "ok",
    format: "pcapng",
    bytes: writePcapng(
      devices.map((d) => ({ name: deviceName(d), linkType: d.linkType })),
      ordered,
    ),
    devices,
  };
}

function tooLargeMessage(maxBytes: number, selection: DeviceSelection): string {
  const narrower = selection.device === undefined ? " Ask for one device (?host=&device=) or one host's devices (?host=)." : "";
  return `This capture would be larger than ${maxBytes} bytes, the most one export may hold.${narrower}`;
}
