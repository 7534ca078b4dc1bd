/** The global options of `ip` that change what its objects print (ip [ OPTIONS ] OBJECT ...). */
export interface IpOptions {
  /** -4 / -6: only that address family; null for both. */
  family: 4 | 6 | null;
  /** -br: one line per device. */
  brief: boolean;
  /** -d: kind-specific details. */
  details: boolean;
  /** -s, repeatable: counters (and, twice, error counters). */
  stats: number;
}
