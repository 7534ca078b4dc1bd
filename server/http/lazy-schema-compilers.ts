/**
 * Fastify's own schema compilers (Ajv for what requests carry,
 * fast-json-stringify for what answers send), made lazy: a route's schema
 * is compiled the first time a request needs it, not when the server starts.
 * Compiling every route's schemas up front was most of a start's CPU (over
 * half a second on the reference machine) and delayed /health for routes
 * nobody had called yet; now each route pays a few milliseconds once, on its
 * first request.
 *
 * What the compilers do is unchanged: the same packages Fastify would load,
 * with the options Fastify passes them (coercion per part of the request,
 * external schemas). Only the moment moves. A schema Ajv cannot compile is
 * therefore found on the route's first request (a 500), not at start: the
 * route tests call every route.
 */
import AjvCompiler from "@fastify/ajv-compiler";
import SerializerSelector from "@fastify/fast-json-stringify-compiler";
import type { FastifyServerOptions } from "fastify";

type SchemaController = NonNullable<FastifyServerOptions["schemaController"]>;

/** An Ajv validate function as Fastify calls it: the data, sometimes its parent; the errors left on the function. */
type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };

export function lazySchemaController(): SchemaController {
  const buildValidator = AjvCompiler();
  const buildSerializer = SerializerSelector();
  return {
    compilersFactory: {
      buildValidator(externalSchemas, options) {
        const compile = buildValidator(externalSchemas as Parameters<typeof buildValidator>[0], options as Parameters<typeof buildValidator>[1]);
        return (route) => {
          let compiled: Validate | undefined;
          const real = (): Validate => (compiled ??= compile(route as Parameters<typeof compile>[0]) as Validate);
          const validate = ((data: unknown, context?: unknown) => real()(data, context)) as Validate;
          // Fastify reads these off the function it was given: the errors after a failed check, and
          // schemaEnv to know that Ajv may coerce the root value in place (it then passes the parent).
          Object.defineProperty(validate, "errors", { get: () => real().errors });
          Object.defineProperty(validate, "schemaEnv", { get: () => real().schemaEnv });
          // Fastify uses only the call, errors and schemaEnv; the rest of Ajv's function type is not needed.
          return validate as unknown as ReturnType<typeof compile>;
        };
      },
      buildSerializer(externalSchemas, options) {
        const compile = buildSerializer(externalSchemas, options as Parameters<typeof buildSerializer>[1]);
        return (route) => {
          let serialize: ((doc: unknown) => string) | undefined;
          return (doc: unknown) => (serialize ??= compile(route as Parameters<typeof compile>[0]))(doc);
        };
      },
    },
  };
}
