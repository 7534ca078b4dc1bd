import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";

export const HealthResponse = Type.Object({
  status: Type.Literal("ok"),
  database: Type.Literal("ok"),
  labs: Type.Integer({ minimum: 0, description: "labs in the catalogue" }),
});

export const healthSchema = {
  tags: ["health"],
  summary: "Is the server up and its database answering?",
  response: { 200: HealthResponse, 503: ErrorResponse },
};
