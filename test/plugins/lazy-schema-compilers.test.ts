/**
 * Route schemas are compiled on their first request, or by the warm-up once
 * the server listens, and either way validate and serialise as Fastify's own
 * compilers do.
 */
import Fastify from "fastify";
import { afterEach, describe, expect, it } from "vitest";
import { lazySchemaCompilers } from "../../server/http/lazy-schema-compilers.js";
import { buildTestApp } from "../helpers/build-app.js";

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function withRoutes(schemas: ReturnType<typeof lazySchemaCompilers>) {
  const app = Fastify({ schemaController: schemas.controller });
  closers.push(() => app.close());
  for (const name of ["a", "b", "c"]) {
    app.post(
      `/${name}`,
      {
        schema: {
          body: { type: "object", properties: { n: { type: "integer", minimum: 1 } }, required: ["n"], additionalProperties: false },
          response: { 200: { type: "object", properties: { twice: { type: "integer" } } } },
        },
      },
      async (request) => ({ twice: (request.body as { n: number }).n * 2, dropped: "not in the schema" }),
    );
  }
  return app;
}

describe("lazy schema compilers", () => {
  it("compile a route's schemas on its first request only", async () => {
    const schemas = lazySchemaCompilers();
    const app = withRoutes(schemas);
    await app.ready();
    // A body and an answer schema for each of the three routes.
    expect(schemas.pending).toBe(6);
    const ok = await app.inject({ method: "POST", url: "/a", payload: { n: 3 } });
    expect(ok.json()).toEqual({ twice: 6 });
    expect(schemas.pending).toBe(4);
    const bad = await app.inject({ method: "POST", url: "/b", payload: { n: 0 } });
    expect(bad.statusCode).toBe(400);
    // /b's body schema was needed; its answer schema was not.
    expect(schemas.pending).toBe(3);
  });

  it("warm up: every schema compiled ahead of its first request, which then validates and serialises the same", async () => {
    const schemas = lazySchemaCompilers();
    const app = withRoutes(schemas);
    await app.ready();
    await schemas.warmUp();
    expect(schemas.pending).toBe(0);
    expect((await app.inject({ method: "POST", url: "/c", payload: { n: 5 } })).json()).toEqual({ twice: 10 });
    expect((await app.inject({ method: "POST", url: "/c", payload: { n: 0 } })).statusCode).toBe(400);
  });

  it("warm up stops when told, between two schemas", async () => {
    const schemas = lazySchemaCompilers();
    const app = withRoutes(schemas);
    await app.ready();
    let turns = 0;
    await schemas.warmUp(() => ++turns > 2);
    expect(schemas.pending).toBe(4);
  });

  it("the server warms its routes' schemas up once it listens, not before", async () => {
    const app = await buildTestApp();
    expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);
    const before = app.lazySchemas.pending;
    // Dozens of routes, each with its own schemas; /health's are compiled now.
    expect(before).toBeGreaterThan(50);
    await app.listen({ port: 0, host: "127.0.0.1" });
    // Not at once: the first readiness probes find the thread free.
    expect(app.lazySchemas.pending).toBe(before);
    await new Promise((resolve) => setTimeout(resolve, 600));
    for (let turn = 0; turn < 10 * before && app.lazySchemas.pending > 0; turn++) await new Promise((resolve) => setImmediate(resolve));
    expect(app.lazySchemas.pending).toBe(0);
    // A route no request had reached answers as before: its token check and its schemas.
    const session = await app.inject({ method: "POST", url: "/api/sessions", payload: { labId: 7 } });
    expect(session.statusCode).toBe(401);
  });
});
