/**
 * Session leases on a real Redis (server/cluster/session-leases.ts): one
 * holder at a time, renewals that keep only what is still this instance's,
 * a lease lost when another took it or when renewals stop, and the leases a
 * dead instance left behind found by the sweep.
 */
import { Redis } from "ioredis";
import { describe, expect, it, onTestFinished } from "vitest";
import { SessionLeases } from "../../server/cluster/session-leases.js";
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
});
