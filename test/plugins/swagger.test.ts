/** The API documents itself: OpenAPI 3 at /openapi.json, Swagger UI at /docs. */
import { describe, expect, it } from "vitest";
import { buildTestApp } from "../helpers/build-app.js";

describe("OpenAPI", () => {
  it("serves an OpenAPI 3 document at /openapi.json with every endpoint and its error responses", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "GET", url: "/openapi.json" });

    expect(response.statusCode).toBe(200);
    const doc = response.json<{ openapi: string; info: { title: string }; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe("cnlab");
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        "/health",
        "/api/labs",
        "/api/labs/{id}",
        "/api/sessions",
        "/api/sessions/{id}",
        "/api/sessions/{id}/commands",
        "/api/sessions/{id}/state",
        "/api/sessions/{id}/events",
        "/api/sessions/{id}/progress",
        "/api/sessions/{id}/answers",
        "/api/grading/runs",
        "/api/grading/runs/{id}",
        "/api/tokens",
        "/api/tokens/{id}",
      ]),
    );
    // A token is optional there, but a bad one is refused (401).
    expect(Object.keys(doc.paths["/api/labs/{id}"]?.["get"]?.responses ?? {}).sort()).toEqual(["200", "400", "401", "404"]);
    expect(Object.keys(doc.paths["/health"]?.["get"]?.responses ?? {}).sort()).toEqual(["200", "503"]);
    expect(Object.keys(doc.paths["/api/sessions/{id}/commands"]?.["post"]?.responses ?? {}).sort()).toEqual(["200", "400", "401", "403", "404", "409", "429", "500", "503"]);
  });

  it("marks every /api route as needing a bearer token and documents its 401, except the lab catalogue's reads", async () => {
    const app = await buildTestApp();
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json<{
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      paths: Record<string, Record<string, { security?: unknown; responses: Record<string, unknown> }>>;
    }>();
    expect(doc.components.securitySchemes["bearer"]).toMatchObject({ type: "http", scheme: "bearer" });
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const isPublic = !path.startsWith("/api/") || (path.startsWith("/api/labs") && method === "get");
        expect({ path, method, security: operation.security ?? null }).toEqual({ path, method, security: isPublic ? null : [{ bearer: [] }] });
        if (!isPublic) expect(Object.keys(operation.responses)).toContain("401");
      }
    }
  });

  it("serves Swagger UI at /docs", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "GET", url: "/docs" });

    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    expect(response.body).toContain("swagger-ui");
  });
});
