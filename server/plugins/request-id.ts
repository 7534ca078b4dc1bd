/**
 * Gives every request an id (the caller's X-Request-Id when it sends a sane
 * one, else a UUID), which Fastify logs as reqId on every line of that request, and
 * returns it in the X-Request-Id response header so a client can quote it.
 */
import { randomUUID } from "node:crypto";
import type { FastifyServerOptions } from "fastify";
import fp from "fastify-plugin";

export const REQUEST_ID_HEADER = "x-request-id";

/** Server options: Fastify reads the id before any plugin runs. */
export const requestIdOptions: Pick<FastifyServerOptions, "genReqId" | "requestIdHeader"> = {
  // Off: genReqId reads the header itself, to vet what it gets.
  requestIdHeader: false,
  genReqId(request) {
    const given = request.headers[REQUEST_ID_HEADER];
    // An id from outside ends up in logs: accept only short, plain tokens.
    return typeof given === "string" && /^[A-Za-z0-9._-]{1,128}$/.test(given) ? given : randomUUID();
  },
};

export default fp(
  async function requestId(app) {
    app.addHook("onRequest", async (request, reply) => {
      reply.header(REQUEST_ID_HEADER, request.id);
    });
  },
  { name: "request-id", fastify: "5.x" },
);
