/**
 * Session leases on a real Redis (server/cluster/session-leases.ts): one
 * holder at a time, renewals that keep only what is still this instance's,
 * a lease lost when another took it or when renewals stop, the leases a
 * dead instance left behind found by the sweep, and a Redis that restarts
 * empty: the holder sets its lease again, and nobody takes a session whose
 * lease is missing until the holders have had a TTL to do so.
 */
import { Redis } from "ioredis";
import { describe, expect, it, onTestFinished } from "vitest";
import { LeaseRecovering, SessionLeases } from "../../server/cluster/session-leases.js";
import { startRedis as startOwnRedis } from "../helpers/redis-server.js";
import { skipCluster, startRedis } from "./cluster-harness.js";


/** A Redis, a clock the test moves, and the leases lost so far ("instance:session"); `leases` opens one instance's table on them. */
async function world() {
  const redisUrl = await startRedis();
  const clock = { now: Date.now() };
  const lost: string[] = [];
  const leases = (instanceId: string, ttlMs: number, ownClock = clock) => {
    const redis = new Redis(redisUrl);
    onTestFinished(() => redis.disconnect());
    return new SessionLeases(redis, {
      instanceId,
      url: () => `http://${instanceId}:3000`,
      ttlMs,
      now: () => ownClock.now,
      onLost: (id) => lost.push(`${instanceId}:${id}`),
      log: { warn: () => undefined },
    });
  };
  return { redisUrl, clock, lost, leases };
}

describe.skipIf(skipCluster)("session leases in Redis", () => {
  it("gives a session to one instance at a time, renews only its own leases, and hands it on when released", async () => {
    const { lost, leases } = await world();
    const a = leases("a", 60_000);
    const b = leases("b", 60_000);
    const session = `s-${process.pid}-${Date.now()}`;

    expect(await a.claim(session)).toEqual({ instanceId: "a", url: "http://a:3000" });
    expect(await b.claim(session)).toEqual({ instanceId: "a", url: "http://a:3000" });
    expect(a.holds(session)).toBe(true);
    expect(b.holds(session)).toBe(false);
    expect(await b.holder(session)).toEqual({ instanceId: "a", url: "http://a:3000" });

    await a.renewAll();
    expect(a.renewals).toBe(1);
    expect(lost).toEqual([]);

    // b releasing a lease it does not hold changes nothing.
    b.release(session);
    await b.close();
    expect(await a.holder(session)).toEqual({ instanceId: "a", url: "http://a:3000" });

    a.release(session);
    await a.close();
    expect(await a.holder(session)).toBeNull();
    const c = leases("c", 60_000);
    expect((await c.claim(session)).instanceId).toBe("c");
    await c.close();
  });

  it("loses a lease another instance took, and one it could not renew in time", async () => {
    const { redisUrl, clock, lost, leases } = await world();
    const a = leases("a", 10_000);
    const taken = `taken-${process.pid}-${Date.now()}`;
    const stale = `stale-${process.pid}-${Date.now()}`;
    await a.claim(taken);
    await a.claim(stale);

    // Someone else's value in the key (a took too long and b claimed the expired lease).
    const raw = new Redis(redisUrl);
    onTestFinished(() => raw.disconnect());
    await raw.set(`cnlab:lease:${taken}`, "b http://b:3000");
    await a.renewAll();
    expect(lost).toEqual([`a:${taken}`]);
    expect(a.holds(taken)).toBe(false);

    // Past four fifths of the TTL without a renewal, a holds nothing, whatever Redis still says.
    clock.now += 8_001;
    expect(a.holds(stale)).toBe(false);
    expect(lost).toEqual([`a:${taken}`, `a:${stale}`]);
    await a.close();
  });

  it("lists the sessions whose leases ended without a release, for another instance to take over", async () => {
    const { leases } = await world();
    const dead = leases("dead", 500);
    const orphan = `orphan-${process.pid}-${Date.now()}`;
    await dead.claim(orphan);
    // The instance dies: no renewal, no release. Its lease runs out in Redis.
    await new Promise((resolve) => setTimeout(resolve, 700));

    const survivor = leases("survivor", 500, { now: Date.now() });
    expect(await survivor.orphans(100)).toContain(orphan);
    expect((await survivor.claim(orphan)).instanceId).toBe("survivor");
    // Taken: no longer an orphan until this lease, too, ends unreleased.
    expect(await survivor.orphans(100)).not.toContain(orphan);
    await survivor.close();
    expect(await survivor.orphans(100)).not.toContain(orphan);
  });

  it("Redis restarts empty: the holder sets its lease again, and another instance takes no session whose lease is missing for a TTL", async () => {
    // A redis-server of this test's own: it is killed and started again on its port.
    let server = await startOwnRedis();
    onTestFinished(() => server.stop());
    const clock = { now: Date.now() };
    const lost: string[] = [];
    const clients: Redis[] = [];
    const leases = (instanceId: string) => {
      const redis = new Redis(server.url, { retryStrategy: () => 50 });
      redis.on("error", () => undefined);
      clients.push(redis);
      onTestFinished(() => redis.disconnect());
      return new SessionLeases(redis, { instanceId, url: () => `http://${instanceId}:3000`, ttlMs: 10_000, now: () => clock.now, onLost: (id) => lost.push(`${instanceId}:${id}`), log: { warn: () => undefined } });
    };
    const a = leases("a");
    const b = leases("b");
    const held = `held-${process.pid}`;
    const free = `free-${process.pid}`;
    expect((await a.claim(held)).instanceId).toBe("a");
    expect(a.recovering).toBe(false);

    // Killed, and back on its port with nothing (it saves nothing to disk).
    await server.stop();
    server = await startOwnRedis({ port: server.port });
    const raw = new Redis(server.url);
    onTestFinished(() => raw.disconnect());
    for (let tries = 0; clients.some((c) => c.status !== "ready"); tries++) {
      expect(tries).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(a.recovering).toBe(true);
    expect(b.recovering).toBe(true);

    // a still counts on its lease (its deadline has not passed) and sets it again in the new Redis.
    for (let tries = 0; (await raw.get(`cnlab:lease:${held}`)) === null; tries++) {
      expect(tries).toBeLessThan(200);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(await raw.get(`cnlab:lease:${held}`)).toBe("a http://a:3000");
    expect(a.holds(held)).toBe(true);
    expect(await b.claim(held)).toEqual({ instanceId: "a", url: "http://a:3000" });

    // A lease missing while Redis recovers may be one it lost: b does not take it, but does take a session it has just created.
    await expect(b.claim(free)).rejects.toBeInstanceOf(LeaseRecovering);
    expect(b.holds(free)).toBe(false);
    const created = `created-${process.pid}`;
    expect((await b.claim(created, true)).instanceId).toBe("b");

    // A TTL later every holder has set its lease again (or let it go): a missing one is free.
    clock.now += 10_001;
    expect(b.recovering).toBe(false);
    expect((await b.claim(free)).instanceId).toBe("b");
    expect(lost).toEqual([]);
    await a.close();
    await b.close();
  });
});
