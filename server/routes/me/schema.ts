import { Type } from "typebox";
import { ROLES } from "../../auth/principal.js";
import { ErrorResponse } from "../../http/error-response.js";

export const meSchema = {
  tags: ["tokens"],
  summary: "Who the token belongs to: its id, name and role (the web page asks this after signing in)",
  response: {
    200: Type.Object({ id: Type.String({ description: "the token's id (a session's owner.id)" }), name: Type.String(), role: Type.Enum(ROLES) }),
    401: ErrorResponse,
    429: ErrorResponse,
  },
};
