/**
 * A response body that goes out no faster than its token's download
 * bandwidth (replay-bandwidth.ts), the budget its trace replays draw on too.
 * A capture file of a long session is tens of megabytes; sent as fast as the
 * client reads, its copies into the socket would take the thread that answers
 * every other student's requests for as long as it lasts, and a token pulling
 * captures in a loop would do that without end.
 *
 * The bytes arrive from the simulator worker all at once or in a few large
 * pieces; they wait here and leave in slices of at most SLICE_BYTES, each
 * after the pacer allows it, and only as fast as the client reads (a Readable
 * pulls: nothing is pushed while the socket's buffer is full).
 */
import { Readable } from "node:stream";
import type { ReplayPacer } from "./replay-bandwidth.js";

/** One socket write at most: small enough that no single copy holds the thread. */
const SLICE_BYTES = 256 * 1024;

export class PacedDownload extends Readable {
  private readonly queue: Buffer[] = [];
  private ended = false;
  private waiting = false;
  private wanted = false;

  constructor(private readonly pacer: ReplayPacer | null) {
    super({ highWaterMark: SLICE_BYTES });
  }

  /** Bytes to send, in order. */
  add(bytes: Uint8Array): void {
    const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let at = 0; at < buffer.length; at += SLICE_BYTES) this.queue.push(buffer.subarray(at, at + SLICE_BYTES));
    if (this.wanted) this.next();
  }

  /** Nothing more will be added: the body ends once the queue is sent. */
  finish(): void {
    this.ended = true;
    if (this.wanted) this.next();
  }

  override _read(): void {
    this.wanted = true;
    this.next();
  }

  private next(): void {
    if (this.waiting || this.destroyed) return;
    const slice = this.queue.shift();
    if (slice === undefined) {
      if (this.ended) this.push(null);
      return;
    }
    this.wanted = false;
    const wait = this.pacer?.take(slice.length) ?? 0;
    if (wait <= 0) {
      this.push(slice);
      return;
    }
    this.waiting = true;
    void this.pacer!.sleep(wait).then(() => {
      this.waiting = false;
      if (this.destroyed) return;
      this.push(slice);
    });
  }
}
