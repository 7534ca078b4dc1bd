/**
 * Splits a command line into words the way a POSIX shell does for simple
 * commands: whitespace separates, single quotes are literal, double quotes
 * allow \" and \\, a backslash escapes one character. No expansion, and
 * pipes, redirections and lists are refused with a clear message: commands
 * are parsed by the simulator, never handed to a shell.
 */
export type TokenizeResult = { ok: true; argv: string[] } | { ok: false; error: string };

const OPERATORS = new Set(["|", ";", "&", ">", "<", "`", "$("]);

export function tokenize(line: string): TokenizeResult {
  const argv: string[] = [];
  let cur = "";
  let inWord = false;
  let i = 0;
  while (i < line.length) {
    const ch = line[i]!;
    if (ch === "'") {
      const end = line.indexOf("'", i + 1);
      if (end < 0) return { ok: false, error: "unexpected EOF while looking for matching `''" };
      cur += line.slice(i + 1, end);
      inWord = true;
      i = end + 1;
    } else if (ch === '"') {
      i++;
      let closed = false;
      while (i < line.length) {
        const c = line[i]!;
        if (c === '"') {
          closed = true;
          i++;
          break;
        }
        if (c === "\\" && i + 1 < line.length && (line[i + 1] === '"' || line[i + 1] === "\\")) {
          cur += line[i + 1];
          i += 2;
          continue;
        }
        cur += c;
        i++;
      }
      if (!closed) return { ok: false, error: "unexpected EOF while looking for matching `\"'" };
      inWord = true;
    } else if (ch === "\\") {
      if (i + 1 < line.length) cur += line[i + 1];
      inWord = true;
      i += 2;
    } else if (ch === " " || ch === "\t") {
      if (inWord) argv.push(cur);
      cur = "";
      inWord = false;
      i++;
    } else if (OPERATORS.has(ch) || (ch === "$" && line[i + 1] === "(")) {
      return { ok: false, error: `cnlab runs one simple command at a time: '${ch === "$" ? "$(" : ch}' (pipes, redirections, lists, substitutions) is not supported` };
    } else {
      cur += ch;
      inWord = true;
      i++;
    }
  }
  if (inWord) argv.push(cur);
  return { ok: true, argv };
}
