/**
 * Answers the requests Node's HTTP parser refuses before Fastify sees them
 * (headers over Node's size limit, bytes that are not HTTP, a request too
 * slow to arrive) in the error shape, instead of Fastify's default body with
 * another shape. It is the server's `clientErrorHandler` option; no hook,
 * request id or error handler runs for these, as there is no request.
 */
import { maxHeaderSize, STATUS_CODES } from "node:http";
import type { Socket } from "node:net";
import type { FastifyInstance } from "fastify";
import { errorBody } from "./error-response.js";

interface ClientError extends Error {
  code?: string;
}

function answerFor(error: ClientError): { status: number; code: string; message: string; details?: unknown } {
  switch (error.code) {
    case "HPE_HEADER_OVERFLOW":
      return {
        status: 431,
        code: "HEADERS_TOO_LARGE",
        message: `The request's headers are larger than the ${maxHeaderSize / 1024} KiB the server accepts`,
        details: { limit: maxHeaderSize },
      };
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, code: "REQUEST_TIMEOUT", message: "The request did not arrive in time" };
    default:
      return { status: 400, code: "BAD_REQUEST", message: "The request is not valid HTTP" };
  }
}

export function clientErrorHandler(this: FastifyInstance, error: ClientError, socket: Socket): void {
  // A reset connection has no one left to answer.
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const { status, code, message, details } = answerFor(error);
  // The code only: the parser's error carries the raw bytes it choked on
  // (rawPacket), which may hold an Authorization header.
  this.log.debug({ clientError: error.code }, "refused a request Node's HTTP parser could not read");
  // As Node does by default: answer only when no earlier answer on this
  // keep-alive connection is partly written, which the error would corrupt.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (socket.writable && inFlight?.headersSent !== true) {
    const body = JSON.stringify(errorBody(code, message, details));
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  // The parser cannot go on with this connection.
  socket.destroy();
}
