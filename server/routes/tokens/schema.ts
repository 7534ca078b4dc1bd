import { Type } from "typebox";
import { ROLES } from "../../auth/principal.js";
import { ErrorResponse } from "../../http/error-response.js";

const errors = (...codes: number[]) => Object.fromEntries(codes.map((code) => [code, ErrorResponse]));

const TokenInfo = Type.Object({
  id: Type.String(),
  name: Type.String(),
  role: Type.Enum(ROLES),
  createdAt: Type.String({ format: "date-time" }),
  createdById: Type.Union([Type.String(), Type.Null()], { description: "the instructor token that made it; null for the first one" }),
});

export const createTokenSchema = {
  tags: ["tokens"],
  summary: "Make a token for a student (or another instructor); the token is shown only in this answer",
  body: Type.Object(
    {
      name: Type.String({
        minLength: 1,
        maxLength: 80,
        pattern: "^\\S(?:[^\\x00-\\x1f\\x7f]*\\S)?$",
        description: "display name, e.g. the student's name; unique among tokens in use",
      }),
      role: Type.Enum(ROLES, { default: "student" }),
    },
    { additionalProperties: false },
  ),
  response: {
    201: Type.Object({
      ...TokenInfo.properties,
      token: Type.String({ description: "the bearer token; it is stored only as a hash, so keep it now" }),
    }),
    ...errors(400, 401, 403, 409),
  },
};

export const listTokensSchema = {
  tags: ["tokens"],
  summary: "Tokens in use (never the tokens themselves)",
  response: { 200: Type.Object({ tokens: Type.Array(TokenInfo) }), ...errors(401, 403) },
};

export const deleteTokenSchema = {
  tags: ["tokens"],
  summary: "Revoke a token: it stops working at once; its sessions stay",
  params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
  response: { 204: Type.Null({ description: "revoked" }), ...errors(400, 401, 403, 404, 409) },
};
