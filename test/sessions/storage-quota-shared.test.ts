/**
 * A token's storage quota holds for a whole deployment, not per instance:
 * two instances on one database and one Redis, the student's sessions on
 * both, and what one instance stores counts at the other before its next
 * command. (An instance that kept its own running total would let a student
 * store the quota once per instance.)
 */
import { describe, expect, it } from "vitest";
import type { App } from "../../server/app.js";
import { DEFAULT_SIMULATOR_CONFIG } from "../../server/simulator/simulator-config.js";
import { bearer, buildTestApp, createToken, startSession } from "../helpers/build-app.js";
import { sharedRedis, skipWithoutRedis } from "../helpers/redis-server.js";
import { freshDatabase } from "../helpers/test-database.js";

const TOKEN_QUOTA = 20_000;
const simulator = { ...DEFAULT_SIMULATOR_CONFIG, workers: 1, tokenStorageBytes: TOKEN_QUOTA };

const run = (app: App, token: string, id: string, command: string) =>
  app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(token), payload: { host: "node1", namespace: "nginx-1", command } });

describe.skipIf(skipWithoutRedis)("the storage quota across instances", () => {
  const redis = sharedRedis();

  it("a student's sessions on instances a and b add up: once b has stored the quota, a refuses the next command too", async () => {
    const { url } = await freshDatabase();
    const a = await buildTestApp({ databaseUrl: url, redisUrl: redis().url, instanceId: "quota-a", simulator });
    const b = await buildTestApp({ databaseUrl: url, redisUrl: redis().url, instanceId: "quota-b", simulator });
    const student = await createToken(a, "Li Wei");
    const onA = await startSession(a, student.token);
    const onB = await startSession(b, student.token);

    // a stores a little first, so it has counted the token's bytes before b's commands.
    const first = await run(a, student.token, onA, "ip route");
    expect(first.statusCode).toBe(200);
    expect(first.headers["x-cnlab-instance"]).toBe("quota-a");

    // b runs until the token is at its quota.
    let refusedOnB = false;
    for (let i = 0; i < 40 && !refusedOnB; i++) {
      const answer = await run(b, student.token, onB, "ping -c 3 172.17.0.3");
      expect(answer.headers["x-cnlab-instance"]).toBe("quota-b");
      if (answer.statusCode === 409) refusedOnB = true;
      else expect(answer.statusCode).toBe(200);
    }
    expect(refusedOnB).toBe(true);
    const stored = await a.prisma.session.aggregate({ where: { ownerId: student.id }, _sum: { storedBytes: true } });
    expect(stored._sum.storedBytes).toBeGreaterThanOrEqual(TOKEN_QUOTA);

    // a's own commands stored far less than the quota, but the token's total is what counts.
    const onARow = await a.prisma.session.findUniqueOrThrow({ where: { id: onA }, select: { storedBytes: true } });
    expect(onARow.storedBytes).toBeLessThan(TOKEN_QUOTA);
    const refused = await run(a, student.token, onA, "ip route");
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: "STORAGE_QUOTA_EXCEEDED" } });
    expect(refused.json<{ error: { message: string } }>().error.message).toContain("per student");

    // Another student, on either instance, is not held to Li Wei's total.
    const other = await createToken(b, "Zhang San");
    const theirs = await startSession(a, other.token);
    expect((await run(a, other.token, theirs, "ip route")).statusCode).toBe(200);
  });
});
