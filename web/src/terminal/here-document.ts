/**
 * bash's here-document as the terminal collects it: a line ending in
 * `<<EOF` (quoted, or `<<-` which strips leading tabs) opens one, the
 * terminal shows the "> " continuation prompt for each following line, and
 * the line holding the delimiter alone closes it; the lines then go to the
 * simulator as one command. The simulator reads the document
 * (server/engine/commands/here-document.ts).
 */
export interface OpenDocument {
  lines: string[];
  delimiter: string;
  stripTabs: boolean;
}

const OPERATOR = /\s<<(-?)\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\2\s*$/;

/** The document a typed line opens, or null. */
export function openDocument(line: string): OpenDocument | null {
  const m = OPERATOR.exec(line);
  return m === null ? null : { lines: [line], delimiter: m[3]!, stripTabs: m[1] === "-" };
}

/** Adds a typed line: the whole command once the delimiter came, null while the document goes on. */
export function continueDocument(doc: OpenDocument, line: string): string | null {
  doc.lines.push(line);
  const bare = doc.stripTabs ? line.replace(/^\t+/, "") : line;
  return bare === doc.delimiter ? doc.lines.join("\n") : null;
}
