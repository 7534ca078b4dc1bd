/**
 * What one session's network may hold and what one command may do. A session
 * fixes its limits when it starts (they are stored with it), so replaying it
 * stops every command exactly where it stopped the first time, whatever the
 * server's configuration says later.
 *
 * Object limits are enforced by the stack's own operations (adding a device,
 * an address, a route, a rule, learning an FDB or neighbour entry, opening a
 * socket), each with a message that names the limit. Command limits are
 * enforced by the engine between a command's steps (events, output) and in
 * the trace recorder (a storm: one step that never stops multiplying frames).
 */
export interface EngineLimits {
  /** Trace events one command may record; checked between its steps, so a long ping stops cleanly with its statistics. */
  commandEvents: number;
  /** Trace events a single step of a command may cause before it is stopped as a storm (a bridge or routing loop). */
  stormEvents: number;
  /** Bytes of output one command may print; past it the output is cut with a note. */
  outputBytes: number;
  /** Network devices in the whole session (every host and namespace). */
  devices: number;
  /** IPv4 addresses in the whole session. */
  addresses: number;
  /** Routes in the whole session (every table, the kernel's own included). */
  routes: number;
  /** iptables rules and user chains in the whole session. */
  rules: number;
  /** Bridge FDB entries in the whole session, learned and static. */
  fdbEntries: number;
  /** Neighbour (ARP) entries in the whole session. */
  neighbours: number;
  /** Sockets in the whole session (listening, connected, ping). */
  sockets: number;
}

/**
 * A classroom's defaults: far above what any lab needs, well below what hurts
 * a server. The object limits leave room for the biggest topology the lab
 * format allows in practice, four hosts of 256 containers each publishing a
 * port (3,084 devices, 2,060 addresses, 7,204 routes, 3,152 rules, 1,024
 * sockets when built), with room for a thousand more of each for what
 * students add; the shipped labs need under 50 of each.
 */
export const DEFAULT_LIMITS: EngineLimits = {
  commandEvents: 10_000,
  stormEvents: 10_000,
  outputBytes: 1024 * 1024,
  devices: 4096,
  addresses: 4096,
  routes: 16_384,
  rules: 8192,
  fdbEntries: 8192,
  neighbours: 16_384,
  sockets: 4096,
};

/** Sessions started before limits existed had only the storm budget; they replay under these. */
export const LEGACY_LIMITS: EngineLimits = {
  commandEvents: Number.MAX_SAFE_INTEGER,
  stormEvents: 200_000,
  outputBytes: Number.MAX_SAFE_INTEGER,
  devices: Number.MAX_SAFE_INTEGER,
  addresses: Number.MAX_SAFE_INTEGER,
  routes: Number.MAX_SAFE_INTEGER,
  rules: Number.MAX_SAFE_INTEGER,
  fdbEntries: Number.MAX_SAFE_INTEGER,
  neighbours: Number.MAX_SAFE_INTEGER,
  sockets: Number.MAX_SAFE_INTEGER,
};
