/**
 * The bytes of the frames one logged command's trace events are about, for a
 * packet inspector's hex view. The trace keeps a frame's decoded layers but
 * not its bytes, so the session is replayed up to and including that command
 * (the engine is deterministic: the same frames) with the capture hook on
 * during that command only. Every event that carries a frame's layers (the
 * frame-tx/frame-rx of each device, and the bridge, netfilter and drop
 * decisions about it) shares the layers object of the frame itself, which is
 * how an event finds its bytes here.
 *
 * A frame's bytes are kept once however many events are about it; TUN and
 * IPIP devices carry bare IP packets, so theirs are the bytes without the
 * simulator's Ethernet header, as a capture on such a device records them.
 * A generator, like the replay, so its host can share a thread.
 */
import type { Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";
import { isLayer3Device } from "../link/point-to-point.js";
import { replaySteps, type ReplayInputs, type ReplayObserver } from "../replay.js";
import { ETHERNET_HEADER_LENGTH } from "../wire/ethernet.js";

export interface CommandFrames {
  /** Seqs of the command's events that are about a frame, ascending. */
  seqs: number[];
  /** For the event at the same position in `seqs`: where its frame's bytes are in `bytes`. */
  starts: number[];
  ends: number[];
  /** True where the frame is a bare IP packet (a TUN or IPIP device), false for Ethernet. */
  raw: boolean[];
  /** Every distinct frame of the command, one after the other. */
  bytes: Uint8Array;
}

export type CommandFramesOutcome =
  | { kind: "ok"; frames: CommandFrames }
  | { kind: "invalid-topology"; message: string }
  | { kind: "command-not-found"; message: string };

interface Seen {
  bytes: Uint8Array;
  raw: boolean;
}

/** Replays `inputs` through its command at position `index` and collects that command's frames. */
export function* commandFramesSteps(inputs: ReplayInputs, index: number): Generator<void, CommandFramesOutcome, void> {
  if (!Number.isInteger(index) || index < 0 || index >= inputs.commands.length) {
    return { kind: "command-not-found", message: `The session has no command at position ${index}` };
  }
  // Keyed by the frame's layers object: the one thing a frame and every event about it share.
  const seen = new Map<object, Seen>();
  let capturing = false;
  const capture = (dev: Device, frame: Frame) => {
    if (!capturing || seen.has(frame.layers)) return;
    const raw = isLayer3Device(dev.kind);
    // frame.bytes is a view into a buffer the engine reuses.
    seen.set(frame.layers, { bytes: raw ? frame.bytes.slice(ETHERNET_HEADER_LENGTH) : frame.bytes.slice(), raw });
  };
  let frames: CommandFrames | null = null;
  const events: { seq: number; layers?: object | null }[] = [];
  const observer: ReplayObserver = {
    commandStarts: (i) => {
      capturing = i === index;
    },
    commandEvents: (i, some) => {
      if (i === index) for (const event of some) events.push(event);
    },
    commandEnded: (i) => {
      if (i !== index) return;
      capturing = false;
      frames = collect(events, seen);
    },
  };
  const outcome = yield* replaySteps({ ...inputs, commands: inputs.commands.slice(0, index + 1) }, capture, observer);
  if (outcome.kind === "invalid-topology") return outcome;
  return { kind: "ok", frames: frames ?? collect([], seen) };
}

function collect(events: ReadonlyArray<{ seq: number; layers?: object | null }>, seen: Map<object, Seen>): CommandFrames {
  const out: CommandFrames = { seqs: [], starts: [], ends: [], raw: [], bytes: new Uint8Array(0) };
  const placed = new Map<Seen, number>();
  const parts: Uint8Array[] = [];
  let length = 0;
  for (const event of events) {
    const frame = event.layers ? seen.get(event.layers) : undefined;
    if (frame === undefined) continue;
    let start = placed.get(frame);
    if (start === undefined) {
      start = length;
      placed.set(frame, start);
      parts.push(frame.bytes);
      length += frame.bytes.length;
    }
    out.seqs.push(event.seq);
    out.starts.push(start);
    out.ends.push(start + frame.bytes.length);
    out.raw.push(frame.raw);
  }
  out.bytes = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.bytes.set(part, offset);
    offset += part.length;
  }
  return out;
}
