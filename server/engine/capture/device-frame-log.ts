/**
 * What the terminal's `tcpdump` reads: every frame each device sent or
 * received since the last command that was not itself a capture reader, as
 * the capture hook saw it. The model a student is told: "tcpdump -i DEV shows
 * what DEV saw while your previous command ran" (and the quiet time after
 * it), so several tcpdumps in a row can look at one ping from several
 * devices. It is a packet socket's view, nothing more: it neither changes nor
 * orders the traffic, and it is part of the network, so a replay rebuilds it
 * exactly (the engine stays deterministic).
 *
 * The log is bounded: past MAX_FRAMES frames in one window the newest are not
 * kept and are counted per device, which tcpdump reports as "dropped by
 * kernel", as a real capture whose buffer overflowed would.
 *
 * It keeps a frame's bytes, not the frame: the bytes are what tcpdump reads,
 * and its decoded layers and summary (a dozen objects and strings) would
 * otherwise live as long as the window, through every young-generation
 * collection of a long ping, and be promoted to be collected again later.
 */
import type { Device } from "../link/device.js";
import type { Frame } from "../link/frame.js";

export interface LoggedFrame {
  /** The frame's bytes (frame-layers.ts decodes them again for a reader). */
  readonly bytes: Uint8Array;
  readonly host: string;
  readonly namespace: string;
  /** The device's name when the frame passed. */
  readonly device: string;
  readonly kind: Device["kind"];
  readonly direction: "tx" | "rx";
  /** Virtual time, µs. */
  readonly time: number;
  /** Seen only while the device is promiscuous (a bridge's copy of a frame it bridged between two ports). */
  readonly promiscuousOnly: boolean;
}

/** Frames one window may keep: well above a command's trace-event limit, which bounds what one command can send. */
export const MAX_FRAMES = 50_000;

export class DeviceFrameLog {
  private entries: LoggedFrame[] = [];
  private currentStart = 0;
  private currentIsReader = false;
  private readonly dropped = new Map<string, number>();

  /** The capture hook's side: one frame on one device. */
  record(dev: Device, frame: Frame, direction: "tx" | "rx", time: number, promiscuousOnly = false): void {
    if (this.entries.length >= MAX_FRAMES) {
      const key = `${dev.ns.host}/${dev.ns.name}/${dev.name}`;
      this.dropped.set(key, (this.dropped.get(key) ?? 0) + 1);
      return;
    }
    this.entries.push({
      bytes: frame.bytes,
      host: dev.ns.host,
      namespace: dev.ns.name,
      device: dev.name,
      kind: dev.kind,
      direction,
      time,
      promiscuousOnly,
    });
  }

  /**
   * A command line starts. Unless the previous one only read the log, its
   * frames open the window and everything older is forgotten.
   */
  beginCommand(): void {
    if (!this.currentIsReader) {
      this.entries = this.entries.slice(this.currentStart);
      this.dropped.clear();
    }
    this.currentStart = this.entries.length;
    this.currentIsReader = false;
  }

  /** The running command reads the log (tcpdump): the next command keeps the same window. */
  read(): readonly LoggedFrame[] {
    this.currentIsReader = true;
    return this.entries;
  }

  /** Frames of one device that did not fit in the window. */
  droppedOn(host: string, namespace: string, device: string): number {
    return this.dropped.get(`${host}/${namespace}/${device}`) ?? 0;
  }
}
