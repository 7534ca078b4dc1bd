/** GET /health checks the database, and says so in the error shape when it cannot. */
import { describe, expect, it } from "vitest";
import { buildTestApp, SHIPPED_LAB_COUNT } from "../helpers/build-app.js";

describe("GET /health", () => {
  it("is 200 with the database checked and the number of labs", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "GET", url: "/health" });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: "ok", database: "ok", labs: SHIPPED_LAB_COUNT });
  });

  it("is 503 DATABASE_UNAVAILABLE when the database query fails, without the database's message", async () => {
    const app = await buildTestApp();
    await app.prisma.$executeRawUnsafe('DROP TABLE "Lab"');
    const response = await app.inject({ method: "GET", url: "/health" });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: "DATABASE_UNAVAILABLE", message: "The database is not answering" } });
    expect(response.body).not.toMatch(/no such table|sqlite|prisma/i);
  });
});
