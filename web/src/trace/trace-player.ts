/**
 * The trace player's state machine, as Packet Tracer's simulation mode: a
 * cursor over a list of events (the ones the filters let through), play and
 * pause, step forward and back, speed. The view dispatches actions and draws
 * the state; a timer dispatches `tick` every `tickMs(speed)` while playing.
 *
 * Pure: no timers, no DOM. The cursor is an index into the shown list, -1
 * before the first event ("nothing selected yet").
 */

export const SPEEDS = [0.25, 0.5, 1, 2, 4, 8] as const;
export type Speed = (typeof SPEEDS)[number];

export interface PlayerState {
  /** How many events the list has. */
  count: number;
  /** The selected event's index, -1 for none. */
  cursor: number;
  playing: boolean;
  speed: Speed;
}

export type PlayerAction =
  /** A new list (another command, other filters): nothing selected, stopped. */
  | { type: "load"; count: number }
  /** Live events appended to the same list: the cursor stays where it is. */
  | { type: "grow"; count: number }
  | { type: "step"; by: number }
  | { type: "seek"; index: number }
  | { type: "first" }
  | { type: "last" }
  | { type: "play" }
  | { type: "pause" }
  | { type: "toggle" }
  | { type: "tick" }
  | { type: "speed"; speed: Speed }
  | { type: "faster" }
  | { type: "slower" };

export const INITIAL_PLAYER: PlayerState = { count: 0, cursor: -1, playing: false, speed: 1 };

/** At 1×, one hop every 700 ms: long enough to read the decision under the diagram. */
export function tickMs(speed: Speed): number {
  return Math.round(700 / speed);
}

export function playerReducer(state: PlayerState, action: PlayerAction): PlayerState {
  switch (action.type) {
    case "load":
      return { ...state, count: Math.max(0, action.count), cursor: -1, playing: false };
    case "grow": {
      const count = Math.max(0, action.count);
      return { ...state, count, cursor: Math.min(state.cursor, count - 1) };
    }
    case "step":
      // Stepping by hand stops the playback, as a video player's frame step does.
      return { ...state, cursor: clamp(state.cursor + action.by, state.count), playing: false };
    case "seek":
      return { ...state, cursor: clamp(action.index, state.count), playing: false };
    case "first":
      return { ...state, cursor: state.count > 0 ? 0 : -1, playing: false };
    case "last":
      return { ...state, cursor: state.count - 1, playing: false };
    case "play":
      if (state.count === 0) return state;
      // Play at the end starts over, as a player does.
      return { ...state, playing: true, cursor: state.cursor >= state.count - 1 ? 0 : Math.max(0, state.cursor) };
    case "pause":
      return { ...state, playing: false };
    case "toggle":
      return playerReducer(state, { type: state.playing ? "pause" : "play" });
    case "tick": {
      if (!state.playing) return state;
      const cursor = state.cursor + 1;
      if (cursor >= state.count - 1) return { ...state, cursor: state.count - 1, playing: false };
      return { ...state, cursor };
    }
    case "speed":
      return { ...state, speed: action.speed };
    case "faster":
      return { ...state, speed: SPEEDS[Math.min(SPEEDS.length - 1, SPEEDS.indexOf(state.speed) + 1)]! };
    case "slower":
      return { ...state, speed: SPEEDS[Math.max(0, SPEEDS.indexOf(state.speed) - 1)]! };
    default: {
      const never: never = action;
      return never;
    }
  }
}

/** A cursor inside the list; with an empty list, -1. Stepping back from the first event stays on it. */
function clamp(index: number, count: number): number {
  if (count === 0) return -1;
  return Math.min(count - 1, Math.max(0, index));
}
