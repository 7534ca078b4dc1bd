/**
 * Schemas of the archiving and bulk-delete routes (retention.ts).
 */
import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";
import { LAB_ID_PATTERN } from "../../labs/lab-schema.js";
import { SessionParams, SessionView } from "./schema.js";

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ErrorResponse]));

export const archiveSessionSchema = {
  tags: ["sessions"],
  summary: "Instructors: archive a session; it is read-only from then on (archiving it again keeps the first date)",
  params: SessionParams,
  response: { 200: SessionView, ...errors(400, 401, 403, 404) },
};

export const unarchiveSessionSchema = {
  tags: ["sessions"],
  summary: "Instructors: take a session out of the archive",
  params: SessionParams,
  response: { 200: SessionView, ...errors(400, 401, 403, 404) },
};

export const deleteSessionsSchema = {
  tags: ["sessions"],
  summary: "Instructors: delete every session whose last activity (last command, else start) is before a date",
  querystring: Type.Object(
    {
      before: Type.Union([Type.String({ format: "date" }), Type.String({ format: "date-time" })], {
        description: "an ISO date (midnight UTC) or date-time: sessions last active before it are deleted",
      }),
      labId: Type.Optional(Type.String({ pattern: LAB_ID_PATTERN, maxLength: 64, description: "only this lab's sessions" })),
      ownerId: Type.Optional(Type.String({ maxLength: 64, description: "only this student's sessions (their token id)" })),
      archived: Type.Optional(Type.Boolean({ description: "true: only archived sessions; false: only sessions not archived; absent: both" })),
    },
    { additionalProperties: false },
  ),
  response: { 200: Type.Object({ deleted: Type.Integer({ description: "sessions deleted" }) }), ...errors(400, 401, 403) },
};
