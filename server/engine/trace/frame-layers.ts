/**
 * A frame's decoded layers, as trace events carry them, and the bytes they
 * were decoded from. Every frame the stack builds or parses is decoded here,
 * always with the same options, so its layers are a pure function of its
 * bytes: the compact stored trace (compact-events.ts) keeps a frame's bytes
 * once, about a hundred for a ping where its layers' JSON is six times that,
 * and decodes them again only when a client reads the events.
 *
 * The bytes are found from the layers by identity (a WeakMap, looked up once
 * per frame and batch, not per event); layers made any other way have no
 * bytes and are stored as their JSON.
 *
 * A frame's one-line summary (tcpdump's words) is also a pure function of its
 * layers, and so is what a device says when it sends or receives the frame:
 * the stored trace keeps neither, and makes both again from the bytes.
 */
import type { TraceEventKind } from "./trace-event.js";
import { decodeFrame, summarizeFrame, type DecodedFrame } from "../wire/packet.js";

/** Flannel's VXLAN port (8472, Linux's default) beside IANA's (4789). */
const FRAME_DECODE_OPTIONS = { vxlanPorts: [4789, 8472] } as const;

interface Decoded {
  bytes: Uint8Array;
  /** Its summary, made on first use. */
  summary: string | null;
}

const decodedLayers = new WeakMap<DecodedFrame, Decoded>();

/** A frame's layers, as the stack decodes them (tcpdump reads the bytes it logged through this). */
export function frameLayers(bytes: Uint8Array): DecodedFrame {
  return decodeFrame(bytes, FRAME_DECODE_OPTIONS);
}

/** Decodes a frame the stack carries, remembering its bytes; they must not change afterwards (frames are never mutated). */
export function decodeFrameLayers(bytes: Uint8Array): DecodedFrame {
  const layers = frameLayers(bytes);
  decodedLayers.set(layers, { bytes, summary: null });
  return layers;
}

/** The bytes `layers` were decoded from by decodeFrameLayers, if they were. */
export function frameBytesOf(layers: DecodedFrame): Uint8Array | undefined {
  return decodedLayers.get(layers)?.bytes;
}

/** A frame's summary, as its Frame carries it; kept with layers decodeFrameLayers made. */
export function frameSummary(layers: DecodedFrame): string {
  return decodedFrameSummary(layers) ?? summarizeFrame(layers);
}

function decodedFrameSummary(layers: DecodedFrame): string | undefined {
  const decoded = decodedLayers.get(layers);
  return decoded === undefined ? undefined : (decoded.summary ??= summarizeFrame(layers));
}

/** The kinds whose summary is the device's name, a verb, and the frame's summary; the verb of each, with its spaces. */
export const FRAME_EVENT_VERBS: Partial<Record<TraceEventKind, string>> = { "frame-tx": " sends ", "frame-rx": " receives " };

/** What a device says of a frame it sends (frame-tx) or receives (frame-rx): the only summary those events have. */
export function frameEventSummary(kind: "frame-tx" | "frame-rx", device: string, frame: string): string {
  return device + FRAME_EVENT_VERBS[kind]! + frame;
}

/**
 * Whether `summary` is what `device` says with `verb` of the frame `layers`
 * were decoded from (frameEventSummary), so that a stored trace can make it
 * again from the frame's bytes. Compared in place, by its three parts: a
 * frame's summary is a hundred characters no other event repeats, and storing
 * it cost hashing, writing and compressing it, about a tenth of recording a
 * round trip.
 */
export function saidOfFrame(verb: string, summary: string, device: string | null, layers: DecodedFrame | null): boolean {
  if (device === null || layers === null) return false;
  const frame = decodedFrameSummary(layers);
  return (
    frame !== undefined &&
    summary.length === device.length + verb.length + frame.length &&
    summary.startsWith(device) &&
    summary.startsWith(verb, device.length) &&
    summary.endsWith(frame)
  );
}
