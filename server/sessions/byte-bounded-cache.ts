/**
 * A least-recently-used cache bounded by the bytes its entries hold, not by
 * their number: the stored trace rows and command frames it keeps range from
 * a few hundred bytes to tens of megabytes. Keys are "session/…" so that a
 * deleted session's entries can be forgotten together.
 */
export class ByteBoundedCache<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private held = 0;

  constructor(private readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const hit = this.entries.get(key);
    if (hit === undefined) return undefined;
    // Map keeps insertion order: moving the entry to the end marks it most recently used.
    this.entries.delete(key);
    this.entries.set(key, hit);
    return hit.value;
  }

  /** Keeps `value`, then lets the least recently used go until the cache fits again (the new one stays, however large). */
  set(key: string, value: V, bytes: number): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.held -= old.bytes;
    }
    this.entries.set(key, { value, bytes });
    this.held += bytes;
    for (const [oldest, entry] of this.entries) {
      if (this.held <= this.maxBytes || oldest === key) break;
      this.entries.delete(oldest);
      this.held -= entry.bytes;
    }
  }

  /** Forgets every entry whose key starts with `${prefix}/`. */
  forget(prefix: string): void {
    for (const [key, entry] of this.entries) {
      if (key.startsWith(`${prefix}/`)) {
        this.entries.delete(key);
        this.held -= entry.bytes;
      }
    }
  }

  get bytes(): number {
    return this.held;
  }
}
