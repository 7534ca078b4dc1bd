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
 */
import { decodeFrame, type DecodedFrame } from "../wire/packet.js";

/** Flannel's VXLAN port (8472, Linux's default) beside IANA's (4789). */
const FRAME_DECODE_OPTIONS = { vxlanPorts: [4789, 8472] } as const;

const bytesOfLayers = new WeakMap<DecodedFrame, Uint8Array>();

/** A frame's layers, as the stack decodes them (tcpdump reads the bytes it logged through this). */
export function frameLayers(bytes: Uint8Array): DecodedFrame {
  return decodeFrame(bytes, FRAME_DECODE_OPTIONS);
}

/** Decodes a frame the stack carries, remembering its bytes; they must not change afterwards (frames are never mutated). */
export function decodeFrameLayers(bytes: Uint8Array): DecodedFrame {
  const layers = frameLayers(bytes);
  bytesOfLayers.set(layers, bytes);
  return layers;
}

/** The bytes `layers` were decoded from by decodeFrameLayers, if they were. */
export function frameBytesOf(layers: DecodedFrame): Uint8Array | undefined {
  return bytesOfLayers.get(layers);
}

/** The JSON of the layers decodeFrameLayers gives for these bytes. */
export function frameLayersJson(bytes: Uint8Array): string {
  return JSON.stringify(frameLayers(bytes));
}
