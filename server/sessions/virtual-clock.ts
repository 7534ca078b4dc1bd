/**
 * When, in virtual time, a student's command is typed. Virtual time follows
 * the wall clock between commands, so ARP entries go stale and FDB entries
 * age out as they would on a real host while the student reads; but one gap
 * counts for at most an hour, so a session resumed days later does not face a
 * network that aged for days, and time never runs backwards.
 *
 * This is the only place the session layer turns wall-clock time into
 * virtual time; the engine never reads a clock. The `at` it gives is stored
 * with the command, so a replay does not depend on the clock at all.
 */

/** The longest wall-clock gap between two commands that virtual time follows, µs. */
export const MAX_GAP_MICROS = 3_600_000_000;

export interface PreviousCommand {
  /** Virtual time it was typed at, µs. */
  at: number;
  /** Wall-clock time it was run at, ms since the epoch. */
  wallMs: number;
}

/**
 * @param engineNow the engine's clock now (after the previous command settled), µs
 * @param previous the session's last command, or null for its first
 * @param startTime the session's virtual start time, µs
 * @param wallMs the wall clock now, ms since the epoch
 */
export function nextCommandTime(engineNow: number, previous: PreviousCommand | null, startTime: number, wallMs: number): number {
  if (previous === null) return Math.max(Math.ceil(engineNow), startTime);
  const gap = Math.min(Math.max(0, wallMs - previous.wallMs) * 1000, MAX_GAP_MICROS);
  return Math.ceil(Math.max(engineNow, previous.at + gap));
}
