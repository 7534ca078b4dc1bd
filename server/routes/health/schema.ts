import { Type } from "typebox";
import { ErrorResponse } from "../../http/error-response.js";

const Latency = Type.Number({ minimum: 0, description: "how long the check took, ms" });

export const HealthResponse = Type.Object({
  status: Type.Literal("ok"),
  database: Type.Literal("ok", { description: "kept for existing clients: dependencies.database says the same, with its latency" }),
  labs: Type.Integer({ minimum: 0, description: "labs in the catalogue" }),
  instance: Type.String({ description: "this instance's name among the others (CNLAB_INSTANCE_ID, or made at start)" }),
  sessions: Type.Object({
    live: Type.Integer({ minimum: 0, description: "sessions whose network is in memory here" }),
    owned: Type.Integer({ minimum: 0, description: "sessions whose lease this instance holds (with Redis); alone, the live ones" }),
  }),
  dependencies: Type.Object({
    database: Type.Object({ status: Type.Literal("ok"), kind: Type.Union([Type.Literal("sqlite"), Type.Literal("postgresql")]), latencyMs: Latency }),
    redis: Type.Union([Type.Object({ status: Type.Literal("ok"), latencyMs: Latency }), Type.Object({ status: Type.Literal("not configured") })]),
  }),
});

export const healthSchema = {
  tags: ["health"],
  summary: "Is the server up, and are its database and Redis answering?",
  description:
    "200 when every dependency it needs answers: the database always, Redis when REDIS_URL is set. " +
    "503 in the error shape otherwise: DATABASE_UNAVAILABLE or REDIS_UNAVAILABLE. Each check gives up after a second.",
  response: { 200: HealthResponse, 503: ErrorResponse },
};
