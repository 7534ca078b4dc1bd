/**
 * The sessions whose engines are in memory, and the one-at-a-time queue of
 * each session. Generic over what it keeps, so it can be tested without an
 * engine or a database.
 *
 * - Every operation on a session runs through its queue: the next starts when
 *   the previous has finished, so the log order is the execution order;
 *   different sessions do not wait for each other.
 * - Entries are kept in least-recently-used order. Past `maxLive`, the least
 *   recently used idle one is dropped; a sweep on an unref'd timer drops those
 *   unused for `idleMs`. A dropped session is rebuilt by its owner on next use.
 * - A session with work queued is never dropped by the cap or the sweep.
 */

export interface RegistryOptions<T> {
  /** Drop an entry unused for this long, ms. */
  idleMs: number;
  /** Keep at most this many entries (more only while all are busy). */
  maxLive: number;
  /** How often the idle sweep runs, ms; defaults from idleMs. */
  sweepMs?: number;
  /** The clock, ms; injectable for tests. */
  now?: () => number;
  /** Told about each entry dropped, and why (its owner may free what the entry held). */
  onEvict?: (id: string, reason: "idle" | "capacity" | "dropped", value: T) => void;
}

interface Entry<T> {
  value: T;
  lastUsed: number;
}

export class SessionRegistry<T> {
  private readonly live = new Map<string, Entry<T>>();
  private readonly tails = new Map<string, Promise<void>>();
  private readonly timer: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: RegistryOptions<T>) {
    this.now = options.now ?? Date.now;
    const sweepMs = options.sweepMs ?? Math.min(60_000, Math.max(250, Math.floor(options.idleMs / 2)));
    this.timer = setInterval(() => this.sweep(), sweepMs);
    this.timer.unref();
  }

  get size(): number {
    return this.live.size;
  }

  /** Runs `task` after every earlier task of session `id` has settled. */
  enqueue<R>(id: string, task: () => Promise<R> | R): Promise<R> {
    const previous = this.tails.get(id) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(id, tail);
    void tail.then(() => {
      if (this.tails.get(id) === tail) this.tails.delete(id);
    });
    return result;
  }

  /** Settles once every task queued so far, of every session, has settled. */
  async settled(): Promise<void> {
    await Promise.all(this.tails.values());
  }

  /** The sessions in memory, least recently used first. */
  ids(): string[] {
    return [...this.live.keys()];
  }

  busy(id: string): boolean {
    return this.tails.has(id);
  }

  /** The entry, marked as just used; undefined when it is not in memory. */
  get(id: string): T | undefined {
    const entry = this.live.get(id);
    if (entry === undefined) return undefined;
    entry.lastUsed = this.now();
    // Re-inserting moves it to the end: Map order is the LRU order.
    this.live.delete(id);
    this.live.set(id, entry);
    return entry.value;
  }

  /** Looks without touching the LRU order. */
  peek(id: string): T | undefined {
    return this.live.get(id)?.value;
  }

  set(id: string, value: T): void {
    this.live.delete(id);
    this.live.set(id, { value, lastUsed: this.now() });
    this.enforceCap(id);
  }

  /** Drops the entry if it is still `value` (or unconditionally when value is omitted). */
  delete(id: string, value?: T): void {
    const entry = this.live.get(id);
    if (entry !== undefined && (value === undefined || entry.value === value)) {
      this.live.delete(id);
      this.options.onEvict?.(id, "dropped", entry.value);
    }
  }

  /** Drops every entry whose value passes `test` (busy or not). */
  deleteWhere(test: (value: T) => boolean): void {
    for (const [id, entry] of this.live) if (test(entry.value)) this.delete(id);
  }

  /** Drops every entry unused for idleMs and not busy. */
  sweep(): void {
    const cutoff = this.now() - this.options.idleMs;
    for (const [id, entry] of this.live) {
      if (entry.lastUsed <= cutoff && !this.busy(id)) {
        this.live.delete(id);
        this.options.onEvict?.(id, "idle", entry.value);
      }
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.live.clear();
  }

  private enforceCap(keep: string): void {
    if (this.live.size <= this.options.maxLive) return;
    for (const id of this.live.keys()) {
      if (this.live.size <= this.options.maxLive) return;
      if (id === keep || this.busy(id)) continue;
      const entry = this.live.get(id)!;
      this.live.delete(id);
      this.options.onEvict?.(id, "capacity", entry.value);
    }
  }
}
