/**
 * The bytes of the frame one stored trace event is about (a packet
 * inspector's hex view). The stored trace keeps decoded layers, not bytes, so
 * the command that recorded the event is replayed in a simulator worker with
 * the capture hook on (engine: capture/command-frames.ts). A student stepping
 * through a ping's events asks for one frame after another of the same
 * command: the worker answers every frame of that command at once, and they
 * are kept here, bounded by bytes, so the next event's frame costs one small
 * query (which command holds the event) and no replay.
 */
import type { CommandFrames, ReplayInputs } from "../engine/index.js";
import { HttpError } from "../http/http-error.js";
import { ByteBoundedCache } from "./byte-bounded-cache.js";

/** Bytes of frames kept over all sessions. */
const CACHED_BYTES = 32 * 1024 * 1024;

export interface EventFrame {
  /** `ethernet`, or `raw` for a bare IPv4 packet (a TUN or IPIP device carries no Ethernet header). */
  linkType: "ethernet" | "raw";
  bytes: Uint8Array;
}

export class FrameReader {
  private readonly cache = new ByteBoundedCache<CommandFrames>(CACHED_BYTES);

  constructor(
    /** The index of the command whose events hold `seq` (the first whose events end after it); null past the last. */
    private readonly commandOf: (sessionId: string, seq: number) => Promise<number | null>,
    /** The session's replay inputs, every command with the seq after its events (eventsTo). */
    private readonly inputsOf: (sessionId: string) => Promise<ReplayInputs>,
    /** Replays the session through the command at `index` in a worker. */
    private readonly replay: (inputs: ReplayInputs, index: number) => Promise<CommandFrames>,
  ) {}

  async frame(sessionId: string, seq: number): Promise<EventFrame> {
    // Commands are in seq order: the event belongs to the first command whose events end after it.
    // Finding it is one small query; the whole log is read only when its frames must be made.
    const index = await this.commandOf(sessionId, seq);
    if (index === null) throw new HttpError(404, "EVENT_NOT_FOUND", `This session has no event ${seq}`);
    // A session's commands keep their places: a new one only ever comes after them.
    const key = `${sessionId}/${index}`;
    let frames = this.cache.get(key);
    if (frames === undefined) {
      const inputs = await this.inputsOf(sessionId);
      // The log's commands are numbered from 0 in order (its append trigger sees to it): the index is the command's place.
      if (inputs.commands[index] === undefined) throw new HttpError(404, "EVENT_NOT_FOUND", `This session has no event ${seq}`);
      frames = await this.replay(inputs, index);
      this.cache.set(key, frames, frames.bytes.length + frames.seqs.length * 32);
    }
    const at = binarySearch(frames.seqs, seq);
    if (at < 0) throw new HttpError(404, "NO_FRAME", `Event ${seq} is not about a frame`);
    return { linkType: frames.raw[at] ? "raw" : "ethernet", bytes: frames.bytes.subarray(frames.starts[at], frames.ends[at]) };
  }

  forget(sessionId: string): void {
    this.cache.forget(sessionId);
  }
}

function binarySearch(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const v = sorted[mid]!;
    if (v === value) return mid;
    if (v < value) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}
