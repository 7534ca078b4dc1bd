/**
 * One terminal of the bench: an xterm.js screen with a prompt, the line
 * editor (terminal/line-editor.ts) and completion (terminal/completion.ts).
 * A line typed is sent to the session as one command; its output is printed
 * exactly as the API returns it, newlines turned into CR LF for the terminal.
 * Read-only terminals (an instructor watching) only print the log.
 */
import { FitAddon } from "@xterm/addon-fit";
import { Terminal } from "@xterm/xterm";
import type { LoggedCommand } from "../api/types.js";
import { complete, type CompletionNames } from "../terminal/completion.js";
import { applyKey, emptyLine, parseKeys, pushHistory, renderLine, replaceWord, type Key, type LineState } from "../terminal/line-editor.js";
import { continueDocument, openDocument, type OpenDocument } from "../terminal/here-document.js";

export interface ShellTarget {
  host: string;
  /** null for the host's root namespace. */
  namespace: string | null;
  /** bash's prompt: root@node1:~# on a host, root@nginx-1:/# in a container. */
  promptUser: string;
  promptDir: string;
}

export interface ShellOptions {
  target: ShellTarget;
  readOnly: boolean;
  run: (command: string) => Promise<{ index: number; output: string } | { error: string }>;
  names: () => CompletionNames;
}

const THEME = { background: "#0f1115", foreground: "#d8dee4", cursor: "#ffd43b", selectionBackground: "#3d5a80" };

export function toTerminalText(output: string): string {
  if (output === "") return "";
  const text = output.replace(/\r?\n/g, "\r\n");
  return text.endsWith("\r\n") ? text : `${text}\r\n`;
}

export class ShellTerminal {
  readonly term: Terminal;
  private readonly fit = new FitAddon();
  private line: LineState = emptyLine();
  private rowsAbove = 0;
  private busy = false;
  private lastKeyWasTab = false;
  private lastShown = -1;
  /** Keys typed while a command runs, replayed after its output as a shell's type-ahead. */
  private typeAhead: Key[] = [];
  /** A here-document being typed: its lines so far, shown with the "> " prompt. */
  private document: OpenDocument | null = null;
  private current: Promise<void> = Promise.resolve();

  constructor(
    readonly element: HTMLElement,
    private readonly options: ShellOptions,
  ) {
    this.term = new Terminal({
      fontFamily: '"DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace',
      fontSize: 12,
      theme: THEME,
      cursorBlink: !options.readOnly,
      disableStdin: options.readOnly,
      scrollback: 5000,
      convertEol: false,
    });
    this.term.loadAddon(this.fit);
    this.term.open(element);
    // Ctrl-C with text selected copies it, as terminals on the desktop do; without a selection it interrupts.
    this.term.attachCustomKeyEventHandler((e) => {
      if (e.type === "keydown" && (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === "c" && this.term.hasSelection()) {
        void navigator.clipboard?.writeText(this.term.getSelection()).catch(() => undefined);
        return false;
      }
      return true;
    });
    if (!options.readOnly) {
      this.term.onData((data) => this.input(data));
      this.prompt();
    }
    this.resize();
  }

  get prompts(): { plain: string; colored: string } {
    if (this.document !== null) return { plain: "> ", colored: "> " };
    const { promptUser, promptDir } = this.options.target;
    return { plain: `root@${promptUser}:${promptDir}# `, colored: `\x1b[1;32mroot@${promptUser}\x1b[0m:\x1b[1;34m${promptDir}\x1b[0m# ` };
  }

  resize(): void {
    if (this.element.offsetParent === null) return;
    try {
      this.fit.fit();
    } catch {
      // Not laid out yet.
    }
  }

  focus(): void {
    this.term.focus();
  }

  dispose(): void {
    this.term.dispose();
  }

  /** Commands of the log this terminal has not printed yet (the scrollback at load, or what others ran while watching). */
  showLog(commands: LoggedCommand[]): void {
    // While this terminal runs a command, that command's output is on its way here already.
    if (this.busy) return;
    const fresh = commands.filter((c) => c.index > this.lastShown);
    if (fresh.length === 0) return;
    let text = "";
    if (!this.options.readOnly) text += "\r\x1b[K";
    for (const c of fresh) {
      text += `${this.prompts.colored}${c.command.replaceAll("\n", "\r\n> ")}\r\n${toTerminalText(c.output)}`;
      this.lastShown = Math.max(this.lastShown, c.index);
      // The log's commands are this terminal's history too: ↑ after a reload finds them.
      const history = pushHistory(this.line.history, c.command);
      this.line = { ...this.line, history, historyIndex: history.length };
    }
    this.term.write(text);
    if (!this.options.readOnly) {
      this.rowsAbove = 0;
      this.redraw();
    }
  }

  /** Types a command as if at the keyboard and runs it ("run this step"). */
  async typeAndRun(command: string): Promise<void> {
    if (this.busy || this.options.readOnly) return;
    this.line = { ...this.line, line: "", cursor: 0 };
    this.apply({ type: "text", text: command });
    this.apply({ type: "enter" });
    await this.current;
  }

  get isBusy(): boolean {
    return this.busy;
  }

  private input(data: string): void {
    for (const key of parseKeys(data)) {
      if (this.busy) {
        // Ctrl-C while a command runs: the simulator finishes it anyway; say so rather than pretend.
        if (key.type !== "ctrl-c") this.typeAhead.push(key);
        continue;
      }
      this.apply(key);
    }
  }

  private apply(key: Key): void {
    const wasTab = this.lastKeyWasTab;
    this.lastKeyWasTab = key.type === "tab";
    const { state, effects } = applyKey(this.line, key);
    this.line = state;
    for (const effect of effects) {
      switch (effect.type) {
        case "redraw":
          this.redraw();
          break;
        case "submit":
          this.current = this.submit(effect.line);
          break;
        case "interrupt":
          this.term.write("^C\r\n");
          this.rowsAbove = 0;
          this.redraw();
          break;
        case "clear-screen":
          this.term.write("\x1b[H\x1b[2J\x1b[3J");
          this.term.clear();
          this.rowsAbove = 0;
          break;
        case "complete":
          this.complete(wasTab);
          break;
        case "bell":
          break;
        default: {
          const never: never = effect;
          return never;
        }
      }
    }
  }

  private complete(secondTab: boolean): void {
    const c = complete(this.line.line, this.line.cursor, this.options.names());
    if (c.candidates.length === 0) return;
    if (c.replacement !== c.word) {
      this.line = replaceWord(this.line, c.start, c.replacement);
      this.redraw();
      return;
    }
    // bash lists the choices on the second Tab.
    if (secondTab && c.candidates.length > 1) {
      this.term.write(`\r\n${c.candidates.join("  ")}\r\n`);
      this.rowsAbove = 0;
      this.redraw();
    }
  }

  private prompt(): void {
    this.rowsAbove = 0;
    this.term.write(this.prompts.colored);
  }

  private redraw(): void {
    const { data, rowsAbove } = renderLine(this.prompts.colored, this.prompts.plain.length, this.line, this.term.cols, this.rowsAbove);
    this.rowsAbove = rowsAbove;
    this.term.write(data);
  }

  private async submit(typed: string): Promise<void> {
    this.term.write("\r\n");
    // A here-document goes on over several typed lines and is sent whole once its delimiter comes.
    const line = this.document !== null ? continueDocument(this.document, typed) : typed;
    if (line === null) return this.prompt();
    this.document = this.document === null ? openDocument(typed) : null;
    if (this.document !== null) return this.prompt();
    const command = line.trim();
    if (command === "") return this.prompt();
    if (command === "clear") {
      this.term.write("\x1b[H\x1b[2J\x1b[3J");
      this.term.clear();
      return this.prompt();
    }
    this.busy = true;
    this.element.dataset.busy = "true";
    try {
      const result = await this.options.run(command);
      if ("error" in result) this.term.write(`\x1b[31m${toTerminalText(result.error)}\x1b[0m`);
      else {
        this.term.write(toTerminalText(result.output));
        this.lastShown = Math.max(this.lastShown, result.index);
      }
    } finally {
      this.busy = false;
      delete this.element.dataset.busy;
      this.prompt();
      const keys = this.typeAhead;
      this.typeAhead = [];
      for (const key of keys) this.apply(key);
    }
  }
}
