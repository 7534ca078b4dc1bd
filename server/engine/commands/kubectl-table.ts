/**
 * How kubectl lays out what it prints: tables through Go's tabwriter as
 * kubectl configures it (minimum width 6, padding 3, the last column
 * unpadded), ages as apimachinery's HumanDuration, and describe's
 * "Label:  value" blocks (padding 2).
 */

/** tabwriter.NewWriter(out, 6, 4, 3, ' ', 0): every column but the last as wide as its widest cell plus 3, at least 6. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(Math.max(widths[i]! + 3, 6)))).join(""));
}

/** describe's blocks: every label padded to the longest plus 2. */
export function describeBlock(rows: [string, string][]): string[] {
  const w = Math.max(...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, v]) => `${l.padEnd(w)}${v}`);
}

/** duration.HumanDuration, from µs. */
export function humanDuration(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 60 * 3) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${hours / 24}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const years = Math.floor(hours / 24 / 365);
  if (hours < 24 * 365 * 8) return Math.floor(hours / 24) % 365 === 0 ? `${years}y` : `${years}y${Math.floor(hours / 24) % 365}d`;
  return `${years}y`;
}

/**
 * Go's text/tabwriter as describe uses it (minwidth 0, padding 2, ' '): lines hold tab-terminated
 * cells; consecutive lines with a cell in the same column form a block whose cells are padded to
 * the block's widest plus 2; a line without that cell ends the block (and text after a line's
 * last tab is not a cell).
 */
export function tabwrite(lines: string[], padding = 2): string[] {
  const cells = lines.map((l) => l.split("\t"));
  const widths = cells.map(() => [] as number[]);
  const format = (from: number, to: number, col: number) => {
    for (let i = from; i < to; ) {
      if (cells[i]!.length - 1 <= col) {
        i++;
        continue;
      }
      let j = i;
      let w = 0;
      while (j < to && cells[j]!.length - 1 > col) w = Math.max(w, cells[j++]![col]!.length + padding);
      for (let k = i; k < j; k++) widths[k]![col] = w;
      format(i, j, col + 1);
      i = j;
    }
  };
  format(0, lines.length, 0);
  return cells.map((c, i) => c.map((cell, col) => (col < c.length - 1 ? cell.padEnd(widths[i]![col]!) : cell)).join(""));
}
