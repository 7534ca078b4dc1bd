/**
 * Reads the text of one lab file into a checked LabFile, or throws a
 * LabFileError naming the first problem by its place in the file: YAML syntax
 * first, then the schema, then the cross-field checks (ours and the engine's
 * topology validation). Nothing here touches the disk or the database.
 */
import { Compile } from "typebox/compile";
import { LineCounter, parseDocument, type Document } from "yaml";
import { checkLab } from "./check-lab.js";
import { LabFileError } from "./lab-file-error.js";
import { LabFile } from "./lab-schema.js";
import { schemaIssues, type Issue } from "./schema-issues.js";
import { refineTaskIssues } from "./task-shape-issues.js";
import { aliasPastLimit, formatFieldPath, offsetOfPath, pathAtOffset, pointerToSegments, unresolvedAlias } from "./yaml-locator.js";

const validator = Compile(LabFile);

/**
 * Alias expansions a lab file may make. Lab files use a few anchors at most; a bound
 * keeps a hostile file ("billion laughs") from expanding without end.
 */
export const MAX_ALIAS_COUNT = 100;

export interface ParsedLabFile {
  lab: LabFile;
  /** An error about this file at a JSON pointer into it, for checks that need other files (duplicate ids). */
  errorAt(path: string, message: string): LabFileError;
}

/**
 * @param text the file's content
 * @param file the name to print in errors (labs/bridge-two-containers.yaml)
 * @param expectedId the id the file name implies, or undefined to skip that check
 */
export function parseLabFile(text: string, file: string, expectedId?: string): ParsedLabFile {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });

  const syntaxError = doc.errors[0];
  if (syntaxError !== undefined) {
    const offset = syntaxError.pos[0];
    const { line, col } = lineCounter.linePos(offset);
    const field = formatFieldPath(pathAtOffset(doc, offset));
    const message =
      syntaxError.code === "MULTIPLE_DOCS" ? "a lab file holds exactly one YAML document: remove the `---` separator" : firstLine(syntaxError.message);
    throw new LabFileError({ file, line, column: col, field }, message);
  }

  const value = toValue(doc, lineCounter, file);

  if (!validator.Check(value)) {
    throw errorAt(doc, lineCounter, file, refineTaskIssues(value, schemaIssues(LabFile, validator.Errors(value))));
  }
  const issues = checkLab(value, expectedId);
  if (issues.length > 0) throw errorAt(doc, lineCounter, file, issues);
  return { lab: value, errorAt: (path, message) => errorAt(doc, lineCounter, file, [{ path, message }]) };
}

/**
 * The document as plain data, aliases expanded. The yaml library refuses an
 * alias without an anchor before it, and aliases that expand past the bound,
 * with a bare ReferenceError: it becomes an error at the alias.
 */
function toValue(doc: Document, lineCounter: LineCounter, file: string): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    const unresolved = unresolvedAlias(doc);
    const [alias, message] =
      unresolved !== undefined
        ? [unresolved, `the alias *${unresolved.source} names no anchor: &${unresolved.source} must come before it`]
        : [
            aliasPastLimit(doc, MAX_ALIAS_COUNT),
            `aliases expand more than ${MAX_ALIAS_COUNT} times by here (an alias of a node that holds aliases repeats them all): a lab file may expand at most ${MAX_ALIAS_COUNT}`,
          ];
    const offset = alias?.range?.[0] ?? 0;
    const { line, col } = lineCounter.linePos(offset);
    throw new LabFileError({ file, line, column: col, field: formatFieldPath(pathAtOffset(doc, offset)) }, message);
  }
}

/** The issue that comes first in the file, as a LabFileError; an author fixes files top to bottom. */
function errorAt(doc: Document, lineCounter: LineCounter, file: string, issues: readonly Issue[]): LabFileError {
  const located = issues.map((issue, order) => {
    const segments = pointerToSegments(issue.path);
    return { issue, segments, offset: offsetOfPath(doc, segments), order };
  });
  located.sort((a, b) => a.offset - b.offset || a.order - b.order);
  const first = located[0];
  if (first === undefined) throw new Error("errorAt needs at least one issue");
  const { line, col } = lineCounter.linePos(first.offset);
  return new LabFileError({ file, line: Math.max(line, 1), column: col, field: formatFieldPath(first.segments) }, first.issue.message);
}

function firstLine(message: string): string {
  return message.split("\n")[0]?.trim() ?? message;
}
