import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";
import { DIFFICULTIES, LAB_ID_PATTERN, LabFile } from "../../labs/lab-schema.js";
import { LabView } from "../../labs/lab-view.js";

const Localized = Type.Object({ en: Type.String(), zh: Type.String() });

export const LabSummary = Type.Object({
  id: Type.String(),
  title: Localized,
  summary: Localized,
  difficulty: Type.Enum(DIFFICULTIES),
  tags: Type.Array(Type.String()),
  chapter: Type.Optional(Type.String({ description: "where in the source chapter the lab comes from" })),
});

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ErrorResponse]));
const LabIdParams = Type.Object({ id: Type.String({ pattern: LAB_ID_PATTERN, maxLength: 64, description: "lab id, e.g. bridge-two-containers" }) });
const LAB_BODY_DESCRIPTION =
  "A lab in the lab-file format (docs/lab-format.md), as YAML (Content-Type: application/yaml, application/x-yaml or text/yaml) or as JSON (application/json), read as its Content-Type says; any other type is 415. It is checked exactly like a lab file; an error names its line, column and field.";

export const listLabsSchema = {
  tags: ["labs"],
  summary: "The lab catalogue, in teaching order",
  response: { 200: Type.Object({ labs: Type.Array(LabSummary) }) },
};

export const getLabSchema = {
  tags: ["labs"],
  summary: "One lab: texts, topology, walkthrough, tasks",
  description:
    "With an instructor's token, the lab exactly as its file defines it. Otherwise (students, or no token) without the reference solution and the tasks' checks, which hold the expected values; each task says instead whether it takes an answer.",
  params: LabIdParams,
  // The lab-file schema with checks optional: the API serves exactly what a lab file may say, or less.
  response: { 200: LabView, ...errors(400, 401, 404) },
};

// The write routes document the lab-file schema as their body, but the body
// reaches the handler as text and is checked by the lab-file parser (for
// line-accurate errors), not by the request validator.
export const createLabSchema = {
  tags: ["labs"],
  summary: "Create a lab (instructors); it joins the catalogue with source \"api\"",
  description: LAB_BODY_DESCRIPTION,
  body: LabFile,
  response: { 201: LabFile, ...errors(400, 401, 403, 409, 413, 415) },
};

export const replaceLabSchema = {
  tags: ["labs"],
  summary: "Replace a lab created through the API (instructors); its id must stay the same",
  description: `${LAB_BODY_DESCRIPTION} Sessions already started keep the topology they started with.`,
  params: LabIdParams,
  body: LabFile,
  response: { 200: LabFile, ...errors(400, 401, 403, 404, 409, 413, 415) },
};

export const deleteLabSchema = {
  tags: ["labs"],
  summary: "Delete a lab created through the API (instructors); its sessions go on working",
  params: LabIdParams,
  response: { 204: Type.Null({ description: "deleted" }), ...errors(400, 401, 403, 404, 409) },
};
