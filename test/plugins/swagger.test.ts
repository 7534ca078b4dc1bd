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
    expect(Object.keys(doc.paths).sort()).toEqual(["/api/labs", "/api/labs/{id}", "/health"]);
    expect(Object.keys(doc.paths["/api/labs/{id}"]?.["get"]?.responses ?? {}).sort()).toEqual(["200", "400", "404"]);
    expect(Object.keys(doc.paths["/health"]?.["get"]?.responses ?? {}).sort()).toEqual(["200", "503"]);
  });

  it("serves Swagger UI at /docs", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "GET", url: "/docs" });

    expect(response.statusCode).toBe(200);
    expect(response.headers["content-type"]).toMatch(/^text\/html/);
    expect(response.body).toContain("swagger-ui");
  });
});
