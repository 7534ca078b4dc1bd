/**
 * Graceful shutdown on the HTTP side. Once close() starts:
 * - every response says `Connection: close`, so a keep-alive connection ends
 *   after the request it carries instead of holding the shutdown open until
 *   its idle timeout (Node closes only the connections idle at that moment);
 * - a request that still arrives (on a connection that was mid-request) gets
 *   503 SHUTTING_DOWN in the project's error shape, where Fastify's own 503
 *   for that case has another shape.
 * Requests already running finish normally.
 */
import fp from "fastify-plugin";
import { HttpError } from "../http/http-error.js";

export default fp(
  async function closingGuard(app) {
    let closing = false;
    app.addHook("preClose", async () => {
      closing = true;
    });
    app.addHook("onRequest", async () => {
      if (closing) throw new HttpError(503, "SHUTTING_DOWN", "The server is shutting down");
    });
    app.addHook("onSend", async (request, reply) => {
      if (closing && request.raw.httpVersionMajor === 1) reply.header("connection", "close");
    });
  },
  { name: "closing-guard", fastify: "5.x" },
);
