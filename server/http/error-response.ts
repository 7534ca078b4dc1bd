/**
 * The body of every 4xx and 5xx the server sends:
 * {"error": {"code": "LAB_NOT_FOUND", "message": "…", "details": …}}.
 * Routes list it in their response schemas so OpenAPI shows it.
 */
import { Type, type Static } from "typebox";

export const ErrorResponse = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: "stable UPPER_SNAKE code", examples: ["LAB_NOT_FOUND"] }),
      message: Type.String({ description: "for people; never internal detail on a 5xx" }),
      details: Type.Optional(Type.Unknown({ description: "more about the error, e.g. the failed validations" })),
    }),
  },
  { description: "the error shape shared by every 4xx and 5xx" },
);
export type ErrorResponse = Static<typeof ErrorResponse>;

export function errorBody(code: string, message: string, details?: unknown): ErrorResponse {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}
