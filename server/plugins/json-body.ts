/**
 * Request bodies are JSON. Fastify's own JSON parser (secure-json-parse)
 * refuses a `__proto__` key, and a `constructor` holding `prototype`, since
 * merging such an object can rewrite Object.prototype; but it reports them as
 * "not valid JSON", which sends a client looking for a syntax error. This
 * wraps that parser, unchanged, and names the key instead: 400
 * FORBIDDEN_JSON_KEY. Fastify's text/plain parser is removed: no route takes
 * text, so a text body is a 415 naming what is taken (error-handler.ts)
 * rather than a schema failure. The lab routes, which take YAML too, have
 * their own parsers (routes/labs).
 */
import type { FastifyInstance } from "fastify";
import fp from "fastify-plugin";
import { HttpError } from "../http/http-error.js";
import { JSON_MEDIA_TYPE } from "../http/media-types.js";

type JsonParser = ReturnType<FastifyInstance["getDefaultJsonParser"]>;

export default fp(
  async function jsonBody(app) {
    const strict = app.getDefaultJsonParser("error", "error");
    // Told apart only once a body has failed, so a good body is parsed once, as before.
    const ignoringProto = app.getDefaultJsonParser("ignore", "error");
    const ignoringBoth = app.getDefaultJsonParser("ignore", "ignore");

    app.addContentTypeParser<string>(JSON_MEDIA_TYPE, { parseAs: "string" }, (request, body, done) => {
      strict(request, body, (error, value) => {
        if (error === null || error === undefined) return done(null, value);
        if (!parses(ignoringBoth, request, body)) return done(error, undefined);
        // Fine once __proto__ is let through: then that was the key.
        const key = parses(ignoringProto, request, body) ? "__proto__" : "constructor";
        const what = key === "__proto__" ? 'a "__proto__" key' : 'a "constructor" key holding "prototype"';
        done(
          new HttpError(400, "FORBIDDEN_JSON_KEY", `The JSON body has ${what}, which is not allowed (it could rewrite object prototypes): rename or remove it`, {
            key,
          }),
          undefined,
        );
      });
    });
    app.removeContentTypeParser("text/plain");
  },
  { name: "json-body", fastify: "5.x" },
);

function parses(parser: JsonParser, request: Parameters<JsonParser>[0], body: string): boolean {
  let ok = false;
  // Fastify's default parsers call back synchronously.
  void parser(request, body, (error) => {
    ok = error === null || error === undefined;
  });
  return ok;
}
