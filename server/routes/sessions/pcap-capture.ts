/**
 * A session's frames as capture files. The trace does not keep frame bytes,
 * so the session is replayed (the engine is deterministic: the same frames,
 * at the same virtual times) with the engine's capture hook on, and every
 * frame each device sent or received is kept under "host/namespace/device".
 * Then one device becomes a classic pcap, several become a pcapng with one
 * interface block per device. TUN and IPIP devices carry bare IP packets, so
 * their frames are written without the simulator's Ethernet header, under
 * LINKTYPE_RAW, as tcpdump on such a device records them.
 *
 * Pure apart from the CPU the replay takes: no HTTP, no database.
 */
import type { Device } from "../../engine/link/device.js";
import type { Frame } from "../../engine/link/frame.js";
import { isLayer3Device } from "../../engine/link/point-to-point.js";
import { ROOT_NAMESPACE } from "../../engine/topology/topology-schema.js";
import { ETHERNET_HEADER_LENGTH } from "../../engine/wire/ethernet.js";
import { LINKTYPE_ETHERNET, LINKTYPE_RAW, writePcap, writePcapng, type CapturedFrame } from "../../engine/wire/pcap.js";
import { replaySession } from "../../sessions/replay.js";
import type { ReplayInputs } from "../../sessions/session-service.js";

export interface CaptureDevice {
  host: string;
  namespace: string;
  device: string;
  /** LINKTYPE_ETHERNET, or LINKTYPE_RAW for a device that carries bare IP packets. */
  linkType: number;
}

const linkTypeOf = (kind: string) => (isLayer3Device(kind) ? LINKTYPE_RAW : LINKTYPE_ETHERNET);

export interface SessionCapture {
  /** Every device of the network at the end, then any that saw frames and are gone since; in that order. */
  devices: CaptureDevice[];
  /** Every frame sent or received, in the order the devices saw them (time order); interfaceIndex is the index in `devices`. */
  frames: CapturedFrame[];
}

export type CaptureOutcome = { kind: "ok"; capture: SessionCapture } | { kind: "invalid-topology"; message: string };

export const deviceName = (d: CaptureDevice) => `${d.host}/${d.namespace}/${d.device}`;

export function captureSession(inputs: ReplayInputs): CaptureOutcome {
  const seen = new Map<string, { device: CaptureDevice; id: number }>();
  const frames: CapturedFrame[] = [];
  const capture = (dev: Device, frame: Frame, _direction: "tx" | "rx", time: number) => {
    const key = `${dev.ns.host}/${dev.ns.name}/${dev.name}`;
    let entry = seen.get(key);
    if (entry === undefined) {
      const device = { host: dev.ns.host, namespace: dev.ns.name, device: dev.name, linkType: linkTypeOf(dev.kind) };
      seen.set(key, (entry = { device, id: seen.size }));
    }
    // frame.bytes is a view into a buffer the engine reuses.
    const bytes = entry.device.linkType === LINKTYPE_RAW ? frame.bytes.slice(ETHERNET_HEADER_LENGTH) : frame.bytes.slice();
    frames.push({ timeMicros: time, interfaceIndex: entry.id, bytes });
  };
  const replay = replaySession(inputs.topology, inputs.seed, inputs.startTime, inputs.commands, capture);
  if (replay.kind === "invalid-topology") return replay;
  const engine = replay.engine;

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
  for (const host of engine.state().hosts) {
    for (const ns of host.namespaces) for (const itf of ns.interfaces) add({ host: host.name, namespace: ns.name, device: itf.name, linkType: linkTypeOf(itf.kind) });
  }
  for (const entry of seen.values()) add(entry.device);
  return { kind: "ok", capture: { devices, frames: frames.map((f) => ({ ...f, interfaceIndex: indexOfId.get(f.interfaceIndex)! })) } };
}

export interface DeviceSelection {
  host?: string;
  namespace?: string;
  device?: string;
}

/** The devices a selection names; a device without a namespace means the host's root namespace, as on Linux. */
export function selectDevices(capture: SessionCapture, selection: DeviceSelection): number[] {
  const namespace = selection.namespace ?? (selection.device !== undefined ? ROOT_NAMESPACE : undefined);
  const picked: number[] = [];
  capture.devices.forEach((d, i) => {
    if (selection.host !== undefined && d.host !== selection.host) return;
    if (namespace !== undefined && d.namespace !== namespace) return;
    if (selection.device !== undefined && d.device !== selection.device) return;
    picked.push(i);
  });
  return picked;
}

/** Classic pcap of one device's frames. */
export function devicePcap(capture: SessionCapture, index: number): Uint8Array {
  return writePcap(
    capture.frames.filter((f) => f.interfaceIndex === index),
    { linkType: capture.devices[index]!.linkType },
  );
}

/** pcapng of several devices: one interface block each, in the given order, frames in the order they were seen. */
export function devicesPcapng(capture: SessionCapture, indices: readonly number[]): Uint8Array {
  const position = new Map(indices.map((deviceIndex, i) => [deviceIndex, i]));
  const frames: CapturedFrame[] = [];
  for (const f of capture.frames) {
    const interfaceIndex = position.get(f.interfaceIndex);
    if (interfaceIndex !== undefined) frames.push({ ...f, interfaceIndex });
  }
  return writePcapng(
    indices.map((i) => ({ name: deviceName(capture.devices[i]!), linkType: capture.devices[i]!.linkType })),
    frames,
  );
}
