/**
 * Rate limits and the throttling of failed sign-ins with REDIS_URL: two
 * instances on one database and one real Redis count into the same windows,
 * so a class behind a proxy gets the limit once, not once per instance.
 * Alone, each instance counts for itself, as before.
 */
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { App } from "../../server/app.js";
import { RATE_LIMIT_KEY_PREFIX } from "../../server/plugins/rate-limits.js";
import { bearer, buildTestApp, createToken, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { sharedRedis, skipWithoutRedis, startRedis } from "../helpers/redis-server.js";
import { freshDatabase } from "../helpers/test-database.js";

const startSessionOn = (app: App, token: string) => app.inject({ method: "POST", url: "/api/sessions", headers: bearer(token), payload: { labId: "bridge-two-containers" } });
const badToken = (app: App, i: number) => app.inject({ method: "GET", url: "/api/sessions", headers: bearer(`cnlab_wrong-guess-${i}-0000000000`) });

/** Two instances on one database; with `redisUrl`, on one Redis too, else each alone (even in a run that gives apps a Redis). */
async function twoInstances(options: { redisUrl?: string; sessionRate?: number; authFailuresPerMinute?: number }): Promise<[App, App]> {
  const { url } = await freshDatabase();
  const a = await buildTestApp({ redisUrl: null, ...options, databaseUrl: url, instanceId: "cnlab-a" });
  const b = await buildTestApp({ redisUrl: null, ...options, databaseUrl: url, instanceId: "cnlab-b" });
  return [a, b];
}

describe.skipIf(skipWithoutRedis)("rate limits in Redis", () => {
  const redis = sharedRedis();
  let client: Redis;
  beforeAll(() => {
    client = new Redis(redis().url);
  });
  // Failed sign-ins are counted per address, and every test here comes from 127.0.0.1.
  beforeEach(async () => {
    await client.flushall();
  });
  afterAll(() => {
    client?.disconnect();
  });

  it("two instances on one Redis share one per-token limit: the third session in the minute is refused, wherever it lands", async () => {
    const [a, b] = await twoInstances({ redisUrl: redis().url, sessionRate: 2 });
    const student = await createToken(a, "Li Wei");

    expect((await startSessionOn(a, student.token)).statusCode).toBe(201);
    expect((await startSessionOn(b, student.token)).statusCode).toBe(201);
    const third = await startSessionOn(a, student.token);
    expect(third.statusCode).toBe(429);
    expect(third.json()).toMatchObject({ error: { code: "RATE_LIMITED", details: { limit: 2, window: "minute" } } });
    expect((await startSessionOn(b, student.token)).statusCode).toBe(429);
    // Another token has its own window.
    const other = await createToken(a, "Zhang San");
    expect((await startSessionOn(b, other.token)).statusCode).toBe(201);
    // The counts are in Redis, under the project's prefix.
    expect((await client.keys(`${RATE_LIMIT_KEY_PREFIX}*`)).some((key) => key.endsWith(`token:${student.id}`))).toBe(true);
  });

  it("two instances on one Redis share the throttling of failed sign-ins: failures on A and B add up, and the address is refused on both", async () => {
    const [a, b] = await twoInstances({ redisUrl: redis().url, authFailuresPerMinute: 2 });

    expect((await badToken(a, 1)).statusCode).toBe(401);
    expect((await badToken(b, 2)).statusCode).toBe(401);
    // Even with a good token, from the same address, on either instance.
    const refused = await a.inject({ method: "GET", url: "/api/tokens", headers: bearer(TEST_INSTRUCTOR_TOKEN) });
    expect(refused.statusCode).toBe(429);
    expect(refused.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
    expect((await b.inject({ method: "GET", url: "/api/tokens", headers: bearer(TEST_INSTRUCTOR_TOKEN) })).statusCode).toBe(429);
  });

  it("lets requests through while Redis is away, rather than failing them", async () => {
    const own = await startRedis();
    const app = await buildTestApp({ redisUrl: own.url, authFailuresPerMinute: 1 });
    const tokens = () => app.inject({ method: "GET", url: "/api/tokens", headers: bearer(TEST_INSTRUCTOR_TOKEN) });
    expect((await badToken(app, 1)).statusCode).toBe(401);
    expect((await tokens()).statusCode).toBe(429);

    // The count cannot be read: the request goes on instead of failing with a 500.
    await own.stop();
    expect((await tokens()).statusCode).toBe(200);
  });
});

describe("rate limits without Redis", () => {
  it("are counted by each instance for itself, as when it runs alone", async () => {
    const [a, b] = await twoInstances({ sessionRate: 1 });
    const student = await createToken(a, "Li Wei");
    expect((await startSessionOn(a, student.token)).statusCode).toBe(201);
    expect((await startSessionOn(a, student.token)).statusCode).toBe(429);
    expect((await startSessionOn(b, student.token)).statusCode).toBe(201);
  });
});
