/**
 * How `ss` (iproute2 6.1) lays its table out, ported from misc/ss.c so the
 * spacing is byte-for-byte: fields are buffered as tokens column by column,
 * each column is as wide as its longest *flushed* token (plus its left
 * delimiter), and on a terminal the spare width of the line is shared out
 * between the columns, the remainder going to the rightmost ones.
 *
 * Two quirks of the original survive on purpose, because students see them:
 * the last token (the final row's process column) is never flushed, so it
 * does not widen its column; and the header's last column ("Process")
 * belongs to the column that -p fills, with a leading space.
 */

export type SsColumnId = "netid" | "state" | "recvq" | "sendq" | "addr" | "serv" | "raddr" | "rserv" | "ext" | "proc";

interface Column {
  readonly id: SsColumnId;
  readonly align: "left" | "right";
  readonly header: string;
  readonly ldelim: string;
  disabled: boolean;
  width: number;
  maxLen: number;
}

function columns(): Column[] {
  const c = (id: SsColumnId, align: "left" | "right", header: string, ldelim: string): Column => ({ id, align, header, ldelim, disabled: false, width: 0, maxLen: 0 });
  return [
    c("netid", "left", "Netid", ""),
    c("state", "left", "State", " "),
    c("recvq", "left", "Recv-Q", " "),
    c("sendq", "left", "Send-Q", " "),
    c("addr", "right", "Local Address:", " "),
    c("serv", "left", "Port", ""),
    c("raddr", "right", "Peer Address:", " "),
    c("rserv", "left", "Port", ""),
    c("ext", "left", "Process", ""),
    c("proc", "left", "", ""),
  ];
}

export interface SsRow {
  netid: string;
  state: string;
  recvQ: number;
  sendQ: number;
  local: string;
  localPort: string;
  peer: string;
  peerPort: string;
  /** " users:((...))" with -p, else "". */
  process: string;
}

export interface SsLayoutOptions {
  showNetid: boolean;
  showState: boolean;
  header: boolean;
  /** Terminal width; null when stdout is not a terminal (compact output). */
  screenWidth: number | null;
}

interface Token {
  text: string;
}

/** render_calc_width(). */
function calcWidths(cols: Column[], screenWidth: number | null): void {
  const screen = screenWidth ?? Number.MAX_SAFE_INTEGER;
  let first = true;
  for (const c of cols) {
    if (c.disabled) continue;
    c.width = !first && c.maxLen > 0 ? c.maxLen + c.ldelim.length : c.maxLen;
    c.width = Math.min(c.width, screen);
    if (c.width > 0) first = false;
  }
  if (screenWidth === null) return;
  let len = 0;
  let lineCols = 0;
  let eol = -1;
  for (let i = 0; i < cols.length; i++) {
    if (cols[i]!.width === 0) continue;
    lineCols++;
    len += cols[i]!.width;
    const last = !cols.slice(i + 1).some((t) => t.width > 0);
    if (!last && len < screen) continue;
    if (len !== screen) {
      if (len > screen) {
        len -= cols[i]!.width;
        i--;
        lineCols--;
      }
      const pad = screen - len;
      const spacing = Math.floor(pad / lineCols);
      let rem = pad % lineCols;
      for (let t = i; t > eol; t--) {
        const col = cols[t]!;
        if (col.width === 0) continue;
        col.width += spacing;
        if (rem > 0) {
          col.width++;
          rem--;
        }
      }
    }
    eol = i;
    len = 0;
    lineCols = 0;
  }
}

export function renderSsTable(rows: readonly SsRow[], opts: SsLayoutOptions): string[] {
  const cols = columns();
  cols[0]!.disabled = !opts.showNetid;
  cols[1]!.disabled = !opts.showState;
  const last = cols.length - 1;
  const tokens: Token[] = [];
  let cur = 0;
  let text = "";
  const out = (s: string) => {
    if (!cols[cur]!.disabled) text += s;
  };
  const flush = () => {
    const c = cols[cur]!;
    if (c.disabled) return;
    c.maxLen = Math.max(c.maxLen, text.length);
    tokens.push({ text });
    text = "";
  };
  const next = () => {
    flush();
    cur = cur === last ? 0 : cur + 1;
  };
  const set = (id: SsColumnId) => {
    while (cols[cur]!.id !== id) next();
  };

  if (opts.header) {
    while (cur !== last) {
      out(cols[cur]!.header);
      next();
    }
  }
  for (const r of rows) {
    set("netid");
    out(r.netid);
    set("state");
    out(r.state);
    set("recvq");
    out(String(r.recvQ).padEnd(6));
    set("sendq");
    out(String(r.sendQ).padEnd(6));
    set("addr");
    out(`${r.local}:`);
    next();
    out(r.localPort);
    next();
    out(`${r.peer}:`);
    next();
    out(r.peerPort);
    next();
    out(r.process);
  }
  // The last token is rendered but never flushed, so it does not count towards its column's width.
  if (!cols[cur]!.disabled) tokens.push({ text });
  if (tokens.length === 0) return [];

  calcWidths(cols, opts.screenWidth);
  const lines: string[] = [];
  let line = "";
  let started = false;
  let f = cols.findIndex((c) => c.width > 0);
  for (const token of tokens) {
    const col = cols[f]!;
    let printed = 0;
    if (started) {
      line += col.ldelim;
      printed = col.ldelim.length;
    }
    started = true;
    if (col.width > 0 && col.align === "right") {
      const s = col.width - token.text.length - printed;
      if (s > 0) {
        line += " ".repeat(s);
        printed += s;
      }
    }
    line += token.text;
    printed += token.text.length;
    if (col.width > 0 && col.align === "left" && col.width - printed > 0) line += " ".repeat(col.width - printed);
    do {
      if (f === last) {
        lines.push(line);
        line = "";
        started = false;
        f = 0;
      } else f++;
    } while (cols[f]!.disabled);
  }
  if (started) lines.push(line);
  return lines;
}
