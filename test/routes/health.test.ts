/**
 * GET /health checks each dependency (the database; Redis when configured),
 * names the instance and counts its sessions, and says in the error shape
 * which dependency is down.
 */
import { describe, expect, it } from "vitest";
import { buildTestApp, createToken, SHIPPED_LAB_COUNT, startSession } from "../helpers/build-app.js";
import { sharedRedis, skipWithoutRedis, startRedis } from "../helpers/redis-server.js";
import { testDatabaseKind } from "../helpers/test-database.js";

const latency = expect.any(Number) as unknown as number;

describe("GET /health", () => {
  it("is 200 with the database checked, the number of labs, the instance and its sessions (an instance alone: Redis not configured)", async () => {
    const app = await buildTestApp({ instanceId: "cnlab-test-1", redisUrl: null });
    const response = await app.inject({ method: "GET", url: "/health" });

    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({
      status: "ok",
      database: "ok",
      labs: SHIPPED_LAB_COUNT,
      instance: "cnlab-test-1",
      sessions: { live: 0, owned: 0 },
      dependencies: { database: { status: "ok", kind: testDatabaseKind(), latencyMs: latency }, redis: { status: "not configured" } },
    });
    expect(response.json().dependencies.database.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("counts a session once its network is in memory", async () => {
    const app = await buildTestApp();
    const student = await createToken(app, "Li Wei");
    await startSession(app, student.token);
    const body = (await app.inject({ method: "GET", url: "/health" })).json<{ instance: string; sessions: { live: number; owned: number } }>();
    expect(body.sessions).toEqual({ live: 1, owned: 1 });
    // Without CNLAB_INSTANCE_ID the instance still has a name, made at start.
    expect(body.instance).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
  });

  it("is 503 DATABASE_UNAVAILABLE when the database query fails, without the database's message", async () => {
    const app = await buildTestApp();
    await app.prisma.$executeRawUnsafe('DROP TABLE "Lab"');
    const response = await app.inject({ method: "GET", url: "/health" });

    expect(response.statusCode).toBe(503);
    expect(response.json()).toEqual({ error: { code: "DATABASE_UNAVAILABLE", message: "The database is not answering" } });
    expect(response.body).not.toMatch(/no such table|does not exist|sqlite|postgres|prisma/i);
  });
});

describe.skipIf(skipWithoutRedis)("GET /health with REDIS_URL", () => {
  const redis = sharedRedis();

  it("pings Redis and gives its latency", async () => {
    const app = await buildTestApp({ redisUrl: redis().url });
    const response = await app.inject({ method: "GET", url: "/health" });
    expect(response.statusCode).toBe(200);
    expect(response.json().dependencies.redis).toEqual({ status: "ok", latencyMs: latency });
  });

  it("is 503 REDIS_UNAVAILABLE once Redis goes away", async () => {
    const own = await startRedis();
    const app = await buildTestApp({ redisUrl: own.url });
    expect((await app.inject({ method: "GET", url: "/health" })).statusCode).toBe(200);

    await own.stop();
    const down = await app.inject({ method: "GET", url: "/health" });
    expect(down.statusCode).toBe(503);
    expect(down.json()).toEqual({ error: { code: "REDIS_UNAVAILABLE", message: "Redis is not answering" } });
    expect(down.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });
});
