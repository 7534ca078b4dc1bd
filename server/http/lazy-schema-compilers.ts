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
 *
 * Once the server listens, `warmUp` compiles what no request has needed yet,
 * one schema per turn of the event loop, so requests keep coming in between:
 * a class that starts right after a restart would otherwise pay for every
 * route's compiling in its first requests.
 */
import AjvCompiler from "@fastify/ajv-compiler";
import SerializerSelector from "@fastify/fast-json-stringify-compiler";
import type { FastifyServerOptions } from "fastify";

type SchemaController = NonNullable<FastifyServerOptions["schemaController"]>;

/** An Ajv validate function as Fastify calls it: the data, sometimes its parent; the errors left on the function. */
type Validate = ((data: unknown, context?: unknown) => unknown) & { errors?: unknown; schemaEnv?: unknown };

export interface LazySchemaCompilers {
  /** For Fastify's `schemaController` option. */
  controller: SchemaController;
  /** Schemas made lazy and not compiled yet. */
  readonly pending: number;
  /** Compiles every pending schema, one per turn of the event loop; stops early when `stop` says so. */
  warmUp(stop?: () => boolean): Promise<void>;
}

export function lazySchemaCompilers(): LazySchemaCompilers {
  const buildValidator = AjvCompiler();
  const buildSerializer = SerializerSelector();
  /** Each not-yet-compiled schema's compile; a compile takes itself out. */
  const pending = new Set<() => unknown>();
  /** A compile that runs once and leaves the pending set, however it is reached. */
  const once = <T>(compile: () => T): (() => T) => {
    let done: { value: T } | undefined;
    const run = (): T => {
      if (done === undefined) {
        done = { value: compile() };
        pending.delete(run);
      }
      return done.value;
    };
    pending.add(run);
    return run;
  };
  const controller: SchemaController = {
    compilersFactory: {
      buildValidator(externalSchemas, options) {
        const compile = buildValidator(externalSchemas as Parameters<typeof buildValidator>[0], options as Parameters<typeof buildValidator>[1]);
        return (route) => {
          const real = once((): Validate => compile(route as Parameters<typeof compile>[0]) as Validate);
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
          const real = once(() => compile(route as Parameters<typeof compile>[0]));
          return (doc: unknown) => real()(doc);
        };
      },
    },
  };
  return {
    controller,
    get pending() {
      return pending.size;
    },
    async warmUp(stop = () => false) {
      for (const compile of [...pending]) {
        await new Promise((resolve) => setImmediate(resolve));
        if (stop()) return;
        compile();
      }
    },
  };
}
