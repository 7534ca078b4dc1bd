/**
 * The terminal's command line, as bash's readline does the basics: typing
 * and pasting, moving the cursor, history with ↑/↓ (what was being typed
 * comes back after the newest entry), Ctrl-C (the line is abandoned, a new
 * prompt), Ctrl-L (clear the screen), Ctrl-A/E/U/K/W, Tab (completion, done
 * by the caller with completion.ts).
 *
 * Pure: keys in, a new state and effects out. terminal-view.ts turns xterm's
 * input into keys (parseKeys) and effects into writes.
 */

export type Key =
  | { type: "text"; text: string }
  | { type: "enter" }
  | { type: "backspace" }
  | { type: "delete" }
  | { type: "left" }
  | { type: "right" }
  | { type: "home" }
  | { type: "end" }
  | { type: "up" }
  | { type: "down" }
  | { type: "tab" }
  | { type: "ctrl-c" }
  | { type: "ctrl-l" }
  | { type: "ctrl-u" }
  | { type: "ctrl-k" }
  | { type: "ctrl-w" };

export interface LineState {
  line: string;
  cursor: number;
  history: string[];
  /** Where ↑/↓ are in the history; history.length while on the line being typed. */
  historyIndex: number;
  /** The line being typed when ↑ was first pressed, given back by ↓ past the newest entry. */
  draft: string;
}

export type Effect =
  | { type: "redraw" }
  | { type: "submit"; line: string }
  | { type: "interrupt"; line: string }
  | { type: "clear-screen" }
  | { type: "complete" }
  | { type: "bell" };

/** Like bash's HISTSIZE default. */
export const HISTORY_LIMIT = 500;

export function emptyLine(history: string[] = []): LineState {
  return { line: "", cursor: 0, history, historyIndex: history.length, draft: "" };
}

export function applyKey(state: LineState, key: Key): { state: LineState; effects: Effect[] } {
  const { line, cursor } = state;
  const redraw = (next: Partial<LineState>) => ({ state: { ...state, ...next }, effects: [{ type: "redraw" } as Effect] });
  switch (key.type) {
    case "text": {
      // Control characters other than tab never reach the line (a paste's newlines are split off by parseKeys).
      const text = key.text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, "").replace(/\t/g, " ");
      if (text === "") return { state, effects: [] };
      return redraw({ line: line.slice(0, cursor) + text + line.slice(cursor), cursor: cursor + text.length });
    }
    case "enter": {
      const history = pushHistory(state.history, line);
      return { state: { line: "", cursor: 0, history, historyIndex: history.length, draft: "" }, effects: [{ type: "submit", line }] };
    }
    case "backspace":
      if (cursor === 0) return { state, effects: [{ type: "bell" }] };
      return redraw({ line: line.slice(0, cursor - 1) + line.slice(cursor), cursor: cursor - 1 });
    case "delete":
      if (cursor === line.length) return { state, effects: [{ type: "bell" }] };
      return redraw({ line: line.slice(0, cursor) + line.slice(cursor + 1) });
    case "left":
      return cursor === 0 ? { state, effects: [] } : redraw({ cursor: cursor - 1 });
    case "right":
      return cursor === line.length ? { state, effects: [] } : redraw({ cursor: cursor + 1 });
    case "home":
      return redraw({ cursor: 0 });
    case "end":
      return redraw({ cursor: line.length });
    case "up": {
      if (state.historyIndex === 0) return { state, effects: [{ type: "bell" }] };
      const draft = state.historyIndex === state.history.length ? line : state.draft;
      const index = state.historyIndex - 1;
      const entry = state.history[index]!;
      return redraw({ historyIndex: index, draft, line: entry, cursor: entry.length });
    }
    case "down": {
      if (state.historyIndex >= state.history.length) return { state, effects: [{ type: "bell" }] };
      const index = state.historyIndex + 1;
      const entry = index === state.history.length ? state.draft : state.history[index]!;
      return redraw({ historyIndex: index, line: entry, cursor: entry.length });
    }
    case "tab":
      return { state, effects: [{ type: "complete" }] };
    case "ctrl-c":
      // bash prints ^C, abandons the line (not kept in history) and shows a new prompt.
      return { state: { ...state, line: "", cursor: 0, historyIndex: state.history.length, draft: "" }, effects: [{ type: "interrupt", line }] };
    case "ctrl-l":
      return { state, effects: [{ type: "clear-screen" }, { type: "redraw" }] };
    case "ctrl-u":
      return redraw({ line: line.slice(cursor), cursor: 0 });
    case "ctrl-k":
      return redraw({ line: line.slice(0, cursor) });
    case "ctrl-w": {
      const before = line.slice(0, cursor).replace(/\S+\s*$/, "");
      return redraw({ line: before + line.slice(cursor), cursor: before.length });
    }
    default: {
      const never: never = key;
      return never;
    }
  }
}

/** Replaces the word being completed ([start, cursor)) with `text`. */
export function replaceWord(state: LineState, start: number, text: string): LineState {
  const line = state.line.slice(0, start) + text + state.line.slice(state.cursor);
  return { ...state, line, cursor: start + text.length };
}

/** bash's ignoredups: an empty line or a repeat of the newest entry is not kept. */
export function pushHistory(history: readonly string[], line: string): string[] {
  if (line.trim() === "" || history.at(-1) === line) return [...history];
  const next = [...history, line];
  return next.length > HISTORY_LIMIT ? next.slice(next.length - HISTORY_LIMIT) : next;
}

const SEQUENCES: Array<[string, Key]> = [
  ["\x1b[A", { type: "up" }],
  ["\x1bOA", { type: "up" }],
  ["\x1b[B", { type: "down" }],
  ["\x1bOB", { type: "down" }],
  ["\x1b[C", { type: "right" }],
  ["\x1bOC", { type: "right" }],
  ["\x1b[D", { type: "left" }],
  ["\x1bOD", { type: "left" }],
  ["\x1b[H", { type: "home" }],
  ["\x1bOH", { type: "home" }],
  ["\x1b[1~", { type: "home" }],
  ["\x1b[F", { type: "end" }],
  ["\x1bOF", { type: "end" }],
  ["\x1b[4~", { type: "end" }],
  ["\x1b[3~", { type: "delete" }],
];

const CONTROL: Record<string, Key> = {
  "\r": { type: "enter" },
  "\n": { type: "enter" },
  "\x7f": { type: "backspace" },
  "\b": { type: "backspace" },
  "\t": { type: "tab" },
  "\x03": { type: "ctrl-c" },
  "\x0c": { type: "ctrl-l" },
  "\x15": { type: "ctrl-u" },
  "\x0b": { type: "ctrl-k" },
  "\x17": { type: "ctrl-w" },
  "\x01": { type: "home" },
  "\x05": { type: "end" },
};

/**
 * xterm's onData (keys and pastes) as keys. A paste of several lines is its
 * lines each followed by enter, as a shell runs a pasted script; an escape
 * sequence we do not know is ignored rather than typed.
 */
export function parseKeys(data: string): Key[] {
  const keys: Key[] = [];
  let text = "";
  const flush = () => {
    if (text !== "") keys.push({ type: "text", text });
    text = "";
  };
  for (let i = 0; i < data.length; ) {
    if (data[i] === "\x1b") {
      flush();
      const known = SEQUENCES.find(([seq]) => data.startsWith(seq, i));
      if (known !== undefined) {
        keys.push(known[1]);
        i += known[0].length;
      } else {
        // Skip ESC [ params final-byte (or ESC + one character).
        const m = /^\x1b\[[0-9;?]*[@-~]|^\x1b./.exec(data.slice(i));
        i += m === null ? 1 : m[0].length;
      }
      continue;
    }
    const ch = data[i]!;
    const control = CONTROL[ch];
    if (control !== undefined) {
      flush();
      // \r\n in a paste is one line end.
      if (ch === "\r" && data[i + 1] === "\n") i++;
      keys.push(control);
    } else {
      text += ch;
    }
    i++;
  }
  flush();
  return keys;
}

/**
 * What to write to xterm to show the line again: back to the start of the
 * prompt's row, clear it, prompt and line, then the cursor moved back to its
 * place. Lines longer than the terminal wrap; `rowsAbove` is how many rows
 * the previous drawing took above the cursor's row, to climb back first.
 */
export function renderLine(prompt: string, promptWidth: number, state: LineState, columns: number, rowsAbove: number): { data: string; rowsAbove: number } {
  const up = rowsAbove > 0 ? `\x1b[${rowsAbove}A` : "";
  const total = promptWidth + state.line.length;
  const cursorAt = promptWidth + state.cursor;
  let data = `${up}\r\x1b[J${prompt}${state.line}`;
  // xterm leaves the cursor past the last column when a line fills it exactly; a space and \r put it on the next row, as readline does.
  if (total > 0 && total % columns === 0) data += " \r";
  const endRow = Math.floor(total / columns);
  const cursorRow = Math.floor(cursorAt / columns);
  const cursorCol = cursorAt % columns;
  if (endRow > cursorRow) data += `\x1b[${endRow - cursorRow}A`;
  data += "\r";
  if (cursorCol > 0) data += `\x1b[${cursorCol}C`;
  return { data, rowsAbove: cursorRow };
}
