import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";
import { DIFFICULTIES, LAB_ID_PATTERN, LabFile } from "../../labs/lab-schema.js";

const Localized = Type.Object({ en: Type.String(), zh: Type.String() });

export const LabSummary = Type.Object({
  id: Type.String(),
  title: Localized,
  summary: Localized,
  difficulty: Type.Enum(DIFFICULTIES),
  tags: Type.Array(Type.String()),
  chapter: Type.Optional(Type.String({ description: "where in the source chapter the lab comes from" })),
});

export const listLabsSchema = {
  tags: ["labs"],
  summary: "The lab catalogue, in teaching order",
  response: { 200: Type.Object({ labs: Type.Array(LabSummary) }) },
};

export const getLabSchema = {
  tags: ["labs"],
  summary: "One lab as its file defines it: texts, topology, walkthrough, tasks",
  params: Type.Object({ id: Type.String({ pattern: LAB_ID_PATTERN, maxLength: 64, description: "lab id, e.g. bridge-two-containers" }) }),
  // The lab-file schema is the response schema: the API serves exactly what a lab file may say.
  response: { 200: LabFile, 400: ErrorResponse, 404: ErrorResponse },
};
