/**
 * Turns particular schema failures into errors with their own code, for the
 * few checks a client should be able to tell apart from any other bad field
 * (a command that is too long). Everything else keeps Fastify's wording and
 * becomes VALIDATION_ERROR in the error handler.
 */
import type { FastifySchemaValidationError, SchemaErrorDataVar } from "fastify/types/schema.js";
import { HttpError } from "./http-error.js";

export interface SchemaErrorRule {
  /** Where the data failed: "body", "querystring", "params" or "headers". */
  in: SchemaErrorDataVar;
  /** JSON pointer of the field, e.g. "/command". */
  path: string;
  /** The failed keyword, e.g. "maxLength". */
  keyword: string;
  error: (failure: FastifySchemaValidationError) => HttpError;
}

export function schemaErrorFormatter(rules: readonly SchemaErrorRule[]) {
  return (errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error => {
    for (const failure of errors) {
      const rule = rules.find((r) => r.in === dataVar && r.path === failure.instancePath && r.keyword === failure.keyword);
      if (rule !== undefined) return rule.error(failure);
    }
    return new Error(errors.map((e) => `${dataVar}${e.instancePath} ${e.message ?? "is invalid"}`).join(", "));
  };
}
