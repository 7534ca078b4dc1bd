/**
 * How fast one token's trace streams may replay stored events: a token bucket
 * per token, shared by all its streams. A student's page replaying a session
 * reads a few hundred kilobytes; a token that opens its streams on a huge
 * session again and again would otherwise have the server read, cut and send
 * hundreds of megabytes, on the thread every other student's requests need.
 * Live events are not paced (a client that cannot keep up with them is cut
 * off as lagged, and resumes by replaying, which is paced).
 */
import { performance } from "node:perf_hooks";

/** Told the bytes a stream just sent from the store; answers how long it should wait before the next page, ms. */
export interface ReplayPacer {
  take(bytes: number): number;
  /** Waits that long on the bucket's clock (real time on a server; a test's clock in tests). */
  sleep(ms: number): Promise<void>;
}

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface Bucket {
  level: number;
  at: number;
}

export class ReplayBandwidth {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    /** Bytes per second per token; also the burst a token may send at once. */
    private readonly bytesPerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = realSleep,
  ) {}

  pacer(token: string): ReplayPacer {
    return { take: (bytes) => this.take(token, bytes), sleep: this.sleep };
  }

  private take(token: string, bytes: number): number {
    const now = this.now();
    let bucket = this.buckets.get(token);
    if (bucket === undefined) this.buckets.set(token, (bucket = { level: this.bytesPerSecond, at: now }));
    bucket.level = Math.min(this.bytesPerSecond, bucket.level + ((now - bucket.at) * this.bytesPerSecond) / 1000);
    bucket.at = now;
    bucket.level -= bytes;
    if (bucket.level >= 0) {
      // A full bucket says nothing: forget it, so the map holds only tokens that replay now.
      if (bucket.level >= this.bytesPerSecond) this.buckets.delete(token);
      return 0;
    }
    return Math.ceil((-bucket.level * 1000) / this.bytesPerSecond);
  }
}
