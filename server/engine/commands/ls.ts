/**
 * `ls [-1] [DIR…]` (coreutils 9.1) over the directories the model can show
 * (node-files.ts): names sorted, in columns as ls prints them to an
 * 80-column terminal (columns as narrow as fits, padded with tabs of 8 as
 * GNU ls's indent does), or one per line with -1. No such file: exit 2.
 */
import { fail, type CommandHandler } from "./command-context.js";
import { fileView } from "./node-files.js";
import { notSimulated } from "./not-simulated.js";

const WIDTH = 80;
const TAB = 8;

/** GNU ls's indent(): tabs while a tab does not overshoot, then spaces. */
function pad(from: number, to: number): string {
  let out = "";
  while (from < to) {
    if (Math.floor(to / TAB) > Math.floor((from + 1) / TAB)) {
      out += "\t";
      from += TAB - (from % TAB);
    } else {
      out += " ";
      from++;
    }
  }
  return out;
}

/** print_many_per_line: the most columns whose widths (longest name + 2, the last unpadded) fit the line. */
export function columns(names: string[], width = WIDTH): string[] {
  if (names.length === 0) return [];
  for (let cols = names.length; cols >= 1; cols--) {
    const rows = Math.ceil(names.length / cols);
    if (Math.ceil(names.length / rows) !== cols && cols > 1) continue;
    const widths = Array.from({ length: cols }, (_, c) => Math.max(...names.slice(c * rows, (c + 1) * rows).map((n) => n.length)) + (c < cols - 1 ? 2 : 0));
    if (widths.reduce((a, b) => a + b, 0) > width && cols > 1) continue;
    const lines: string[] = [];
    for (let r = 0; r < rows; r++) {
      let line = "";
      let at = 0;
      for (let c = 0; c < cols; c++) {
        const name = names[c * rows + r];
        if (name === undefined) break;
        const next = c * rows + r + rows < names.length;
        line += name;
        if (next) line += pad(at + name.length, at + widths[c]!);
        at += widths[c]!;
      }
      lines.push(line);
    }
    return lines;
  }
  return names;
}

export const lsCommand: CommandHandler = (argv, ctx) => {
  let onePerLine = false;
  const paths: string[] = [];
  for (const a of argv) {
    if (a === "-1") onePerLine = true;
    else if (a.startsWith("-")) notSimulated(`ls ${a}`);
    else paths.push(a);
  }
  if (paths.length === 0) notSimulated("ls of the working directory");
  let status = 0;
  paths.forEach((p, i) => {
    const view = fileView(ctx, p);
    switch (view.kind) {
      case "dir": {
        const names = [...view.entries].sort();
        if (paths.length > 1) ctx.out.push(...(i > 0 ? [""] : []), `${p}:`);
        ctx.out.push(...(onePerLine ? names : columns(names)));
        break;
      }
      case "file":
        ctx.out.push(p);
        break;
      case "missing":
        ctx.out.push(`ls: cannot access '${p}': No such file or directory`);
        status = 2;
        break;
      case "unmodelled":
        fail(`ls ${p}: not simulated in cnlab (it shows the CNI directories and bridges' brif/)`, 2);
    }
  });
  return status;
};
