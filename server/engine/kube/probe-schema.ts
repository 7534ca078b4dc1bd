/**
 * A container's readinessProbe as lab data, in the shape of its YAML
 * (core/v1 Probe): one handler (tcpSocket, httpGet or exec) and the timings,
 * which default as the API server defaults them. validate-probe.ts checks
 * what a schema cannot say (one handler, an exec command this model runs);
 * readiness-probe.ts runs it.
 */
import { Type } from "typebox";

const Port = Type.Integer({ minimum: 1, maximum: 65535 });
const Seconds = (minimum: number) => Type.Optional(Type.Integer({ minimum, maximum: 3600 }));

export const probeSchema = Type.Object(
  {
    tcpSocket: Type.Optional(Type.Object({ port: Port }, { additionalProperties: false })),
    httpGet: Type.Optional(Type.Object({ path: Type.Optional(Type.String({ pattern: "^/[!-~]*$", maxLength: 200 })), port: Port }, { additionalProperties: false })),
    exec: Type.Optional(Type.Object({ command: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 8 }) }, { additionalProperties: false })),
    initialDelaySeconds: Seconds(0),
    periodSeconds: Seconds(1),
    timeoutSeconds: Seconds(1),
    successThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
    failureThreshold: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
  },
  { additionalProperties: false, description: "a readiness probe: one of tcpSocket, httpGet, exec; periodSeconds 10, failureThreshold 3, successThreshold 1 by default" },
);

/** Absolute paths of files the container holds (what an exec probe tests and kubectl exec changes). */
export const filesSchema = Type.Array(Type.String({ pattern: "^/[!-~]*$", maxLength: 200 }), { maxItems: 16, description: "files the container holds, absolute paths" });
