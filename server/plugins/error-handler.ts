/**
 * One error handler and one not-found handler for the whole app, so every 4xx
 * and 5xx has the shape {"error": {"code", "message", "details"?}}.
 *
 * The whole error goes to the log; the client gets its message only when it
 * was meant for the client (an HttpError, or a 4xx raised by Fastify). Any
 * other 5xx becomes a bare "Internal Server Error": no stack, no SQL, no paths.
 */
import { STATUS_CODES } from "node:http";
import type { FastifyError } from "fastify";
import fp from "fastify-plugin";
import { errorBody } from "../http/error-response.js";
import { HttpError } from "../http/http-error.js";
import { redactUrl } from "../http/log-redaction.js";
import { JSON_MEDIA_TYPE, unsupportedMediaType } from "../http/media-types.js";

export default fp(
  async function errorHandler(app) {
    app.setErrorHandler((thrown: unknown, request, reply) => {
      // Fastify found no parser for the body's type. Routes that take more than JSON (the labs') answer this themselves, with their list.
      const error =
        (thrown as Partial<FastifyError>).code === "FST_ERR_CTP_INVALID_MEDIA_TYPE" ? unsupportedMediaType(request.headers["content-type"], [JSON_MEDIA_TYPE]) : thrown;

      if (error instanceof HttpError) {
        request.log[error.statusCode >= 500 ? "error" : "info"]({ err: error }, error.message);
        if (error.headers !== undefined) reply.headers(error.headers);
        return reply.code(error.statusCode).send(errorBody(error.code, error.message, error.details));
      }

      const fastifyError = error as Partial<FastifyError>;
      if (fastifyError.validation !== undefined) {
        request.log.info({ err: error }, "request failed validation");
        const details = fastifyError.validation.map((item) => ({
          in: fastifyError.validationContext ?? "request",
          path: item.instancePath,
          message: item.message ?? "is invalid",
        }));
        return reply.code(400).send(errorBody("VALIDATION_ERROR", fastifyError.message ?? "Invalid request", details));
      }

      if (fastifyError.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
        request.log.info({ err: error }, "request body too large");
        const limit = request.routeOptions.bodyLimit;
        return reply.code(413).send(errorBody("PAYLOAD_TOO_LARGE", `The request body is larger than the ${formatBytes(limit)} this route accepts`, { limit }));
      }

      const status = typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 600 ? fastifyError.statusCode : 500;
      const reason = STATUS_CODES[status] ?? "Error";
      if (status >= 500) {
        request.log.error({ err: error }, "request failed");
        return reply.code(status).send(errorBody(codeFor(status), reason));
      }
      request.log.info({ err: error }, "request rejected");
      return reply.code(status).send(errorBody(codeFor(status), fastifyError.message ?? reason));
    });

    app.setNotFoundHandler((request, reply) => {
      // The URL comes back as the client sent it, but for secrets (?access_token=): answers, too, end up in logs.
      return reply.code(404).send(errorBody("NOT_FOUND", `Route ${request.method} ${redactUrl(request.url)} not found`));
    });
  },
  { name: "error-handler", fastify: "5.x" },
);

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/** 413 → PAYLOAD_TOO_LARGE: the reason phrase in UPPER_SNAKE, so no table to keep in step. */
export function codeFor(status: number): string {
  return (STATUS_CODES[status] ?? `HTTP ${status}`).toUpperCase().replace(/[^A-Z0-9]+/g, "_").replace(/^_|_$/g, "");
}
