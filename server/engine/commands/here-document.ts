/**
 * bash's here-document, the one multi-line form a command may take:
 * `kubectl apply -f - <<EOF`, the lines of the document, then a line that
 * is the delimiter alone. `<<-` strips leading tabs; a quoted delimiter
 * ('EOF' or "EOF") is what keeps bash from expanding the text, and the
 * simulator never expands, so both read the same. A document that ends
 * without its delimiter is taken whole, with bash's warning. Any other
 * line break is refused: one simple command at a time.
 */
export type HereDocument = { ok: true; line: string; stdin: string | undefined; warning: string | null } | { ok: false; error: string };

const OPERATOR = /\s<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2\s*$/;

export function splitHereDocument(text: string): HereDocument {
  // Nearly every command: one line, no operator (this runs for each command a student types).
  if (!text.includes("\n") && !text.includes("<<")) return { ok: true, line: text, stdin: undefined, warning: null };
  const lines = text.replace(/\r\n/g, "\n").split("\n");
  const first = lines[0]!;
  const op = OPERATOR.exec(first);
  if (op === null) {
    if (lines.slice(1).some((l) => l.trim() !== "")) return { ok: false, error: "cnlab runs one simple command at a time: a line break is taken only after a here-document's <<WORD" };
    return { ok: true, line: first, stdin: undefined, warning: null };
  }
  const [, dash, , word] = op;
  const body: string[] = [];
  let closed = false;
  for (const raw of lines.slice(1)) {
    const l = dash === "-" ? raw.replace(/^\t+/, "") : raw;
    if (l === word) {
      closed = true;
      break;
    }
    body.push(l);
  }
  const rest = lines.slice(1 + body.length + 1);
  if (closed && rest.some((l) => l.trim() !== "")) return { ok: false, error: "cnlab runs one simple command at a time: nothing may follow the here-document's delimiter" };
  return {
    ok: true,
    line: first.slice(0, op.index),
    stdin: body.map((l) => `${l}\n`).join(""),
    warning: closed ? null : `bash: warning: here-document at line 1 delimited by end-of-file (wanted \`${word}')`,
  };
}
