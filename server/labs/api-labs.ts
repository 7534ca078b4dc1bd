/**
 * Labs instructors create, replace and delete through the API. A lab sent to
 * the API (YAML or JSON, which is YAML too) goes through the same parser and
 * checks as a lab file, so its errors name a line, a column and a field; a
 * body sent as JSON must be JSON besides (YAML labelled JSON is refused, not
 * guessed at); it is
 * stored like a file's lab with source "api". Labs that come from files are
 * not the API's to change: their files are.
 */
import type { PrismaClient } from "../db/prisma-client.js";
import { HttpError } from "../http/http-error.js";
import { API_SOURCE, labColumns } from "./lab-columns.js";
import { LabFileError } from "./lab-file-error.js";
import type { LabFile } from "./lab-schema.js";
import { parseLabFile } from "./parse-lab-file.js";

/** The "file name" errors about a lab sent to the API carry. */
export const REQUEST_BODY = "request body";

/** What the request's Content-Type says the body is. */
export type LabFormat = "json" | "yaml";

/**
 * Parses and checks a lab sent to the API, or throws 400 INVALID_LAB with the
 * lab validator's message and where it points. `expectedId`: the id the URL names.
 */
export function parseApiLab(text: string, format: LabFormat, expectedId?: string): LabFile {
  try {
    if (format === "json") requireJson(text);
    const parsed = parseLabFile(text, REQUEST_BODY);
    if (expectedId !== undefined && parsed.lab.id !== expectedId) {
      throw parsed.errorAt("/id", `must match the URL: expected "${expectedId}", found "${parsed.lab.id}"`);
    }
    return parsed.lab;
  } catch (err) {
    if (!(err instanceof LabFileError)) throw err;
    const { line, column, field } = err.location;
    throw new HttpError(400, "INVALID_LAB", err.message, { line, column, field, problem: err.detail });
  }
}

/** Throws unless `text` is JSON, at the place JSON.parse names when it names one. */
function requireJson(text: string): void {
  try {
    JSON.parse(text);
  } catch (err) {
    // V8 quotes a piece of the text in some messages (Unexpected token 'v', "version: 1"... is not valid JSON): the client has it.
    const reason = (err as Error).message.replace(/^(Unexpected token .+?), .* is not valid JSON$/s, "$1");
    const problem = `not valid JSON (${reason}), though its Content-Type is application/json: send a lab in YAML as application/yaml`;
    const position = /at position (\d+)/.exec(reason);
    if (position === null) throw new HttpError(400, "INVALID_LAB", `${REQUEST_BODY}: ${problem}`, { problem });
    throw new LabFileError({ file: REQUEST_BODY, ...lineAndColumn(text, Number(position[1])), field: "(document)" }, problem);
  }
}

/** 1-based, as editors count. */
function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf("\n") + 1;
  return { line: before.split("\n").length, column: offset - lineStart + 1 };
}

export async function createApiLab(prisma: PrismaClient, lab: LabFile): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const existing = await tx.lab.findUnique({ where: { id: lab.id }, select: { source: true } });
    if (existing !== null) {
      throw new HttpError(
        409,
        "LAB_EXISTS",
        existing.source === API_SOURCE
          ? `A lab with id "${lab.id}" exists already: replace it with PUT /api/labs/${lab.id}`
          : `The id "${lab.id}" belongs to the lab file ${existing.source}: choose another id`,
      );
    }
    await tx.lab.create({ data: { id: lab.id, ...labColumns(lab, API_SOURCE) } });
  });
}

export async function replaceApiLab(prisma: PrismaClient, lab: LabFile): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await apiLabOrThrow(tx, lab.id);
    await tx.lab.update({ where: { id: lab.id }, data: labColumns(lab, API_SOURCE) });
  });
}

/** Sessions started from the lab keep their copy of its topology and go on working. */
export async function deleteApiLab(prisma: PrismaClient, id: string): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await apiLabOrThrow(tx, id);
    await tx.lab.delete({ where: { id } });
  });
}

type Tx = Parameters<Parameters<PrismaClient["$transaction"]>[0]>[0];

async function apiLabOrThrow(tx: Tx, id: string): Promise<void> {
  const existing = await tx.lab.findUnique({ where: { id }, select: { source: true } });
  if (existing === null) throw new HttpError(404, "LAB_NOT_FOUND", `No lab with id "${id}"`);
  if (existing.source !== API_SOURCE) {
    throw new HttpError(409, "LAB_FROM_FILE", `Lab "${id}" comes from the file ${existing.source}: change or remove that file instead`);
  }
}
