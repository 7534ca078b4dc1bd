/**
 * A session outlives its engine: after a restart on the same database, or
 * after its engine was dropped from memory (idle, or past the cap on live
 * sessions), it is rebuilt from its log with the same state and trace, and
 * new commands carry on where the log ends.
 */
import { describe, expect, it } from "vitest";
import type { App } from "../../server/app.js";
import { bearer, buildTestApp, createToken, runCommand, startSession } from "../helpers/build-app.js";
import { freshDatabase } from "../helpers/test-database.js";

const COMMANDS: Array<[string, string | undefined]> = [
  ["ping -c 2 172.17.0.3", "nginx-1"],
  ["ip route add 10.1.0.0/16 via 172.17.0.1", "nginx-1"],
  ["docker ps", undefined],
  ["ping -c 1 172.17.0.2", "nginx-2"],
];

/** Everything the API says about a session. */
async function snapshot(app: App, token: string, id: string) {
  const get = async (url: string) => {
    const response = await app.inject({ method: "GET", url, headers: bearer(token) });
    expect(response.statusCode, url).toBe(200);
    return response.json<Record<string, unknown>>();
  };
  const session = await get(`/api/sessions/${id}`);
  const { live: _live, updatedAt: _updated, ...rest } = session;
  return {
    session: rest,
    state: await get(`/api/sessions/${id}/state`),
    commands: await get(`/api/sessions/${id}/commands?limit=1000`),
    events: await get(`/api/sessions/${id}/events?limit=5000`),
  };
}

describe("restart on the same database", () => {
  it("rebuilds a session on first use with the same state, log and trace; the next command continues its seqs", async () => {
    const { url } = await freshDatabase();
    const first = await buildTestApp({ databaseUrl: url });
    const alice = await createToken(first, "Alice");
    const id = await startSession(first, alice.token);
    for (const [command, namespace] of COMMANDS) await runCommand(first, alice.token, id, "node1", command, namespace);
    const before = await snapshot(first, alice.token, id);
    await first.close();

    const second = await buildTestApp({ databaseUrl: url });
    expect(second.sessionManager.isLive(id)).toBe(false);
    const after = await snapshot(second, alice.token, id);
    expect(after).toEqual(before);
    expect(second.sessionManager.isLive(id)).toBe(true);

    const next = await runCommand(second, alice.token, id, "node1", "ping -c 1 172.17.0.3", "nginx-1");
    expect(next.index).toBe(COMMANDS.length);
    expect(next.events.from).toBe(before.events["nextSeq"]);
    expect(next.output).toContain("1 received");
  });
});

describe("eviction from memory", () => {
  it("drops the least recently used engine past the cap and rebuilds it transparently, state unchanged", async () => {
    const app = await buildTestApp({ maxLiveSessions: 1 });
    const alice = await createToken(app, "Alice");
    const a = await startSession(app, alice.token);
    const b = await startSession(app, alice.token);
    expect([app.sessionManager.isLive(a), app.sessionManager.isLive(b)]).toEqual([false, true]);

    const expected = [];
    for (const [command, namespace] of COMMANDS) {
      // Alternating makes every command of each session find its engine evicted.
      expected.push(await runCommand(app, alice.token, a, "node1", command, namespace));
      await runCommand(app, alice.token, b, "node1", command, namespace);
      expect(app.sessionManager.liveCount).toBe(1);
    }
    const stateA = (await app.inject({ method: "GET", url: `/api/sessions/${a}/state`, headers: bearer(alice.token) })).json();
    await runCommand(app, alice.token, b, "node1", "ip link");
    expect(app.sessionManager.isLive(a)).toBe(false);
    expect((await app.inject({ method: "GET", url: `/api/sessions/${a}/state`, headers: bearer(alice.token) })).json()).toEqual(stateA);

    // The answers match a session that was never evicted: a replay of the log from scratch.
    const { topology, seed, startTime, commands } = await app.sessions.replayInputs(a);
    const { Engine } = await import("../../server/engine/index.js");
    const engine = Engine.create(topology, { seed, startTime });
    if (!(engine instanceof Engine)) throw new Error("topology");
    expect(commands.map((c) => engine.run({ ...c, namespace: c.namespace ?? undefined }, c.interruption ?? null).output)).toEqual(expected.map((e) => e.output));
  });

  it("drops engines idle for CNLAB_SESSION_IDLE_SECONDS and rebuilds them on next use", async () => {
    let clock = 1_700_000_000_000;
    const app = await buildTestApp({ sessionIdleSeconds: 60, now: () => clock });
    const alice = await createToken(app, "Alice");
    const id = await startSession(app, alice.token);
    const ping = await runCommand(app, alice.token, id, "node1", "ping -c 1 172.17.0.3", "nginx-1");

    clock += 59_000;
    app.sessionManager.sweep();
    expect(app.sessionManager.isLive(id)).toBe(true);
    clock += 1_000;
    app.sessionManager.sweep();
    expect(app.sessionManager.isLive(id)).toBe(false);

    // A minute of reading later, the ARP entry has gone stale, rebuilt engine or not.
    const neighbours = await runCommand(app, alice.token, id, "node1", "ip neigh", "nginx-1");
    expect(neighbours.at).toBe(ping.at + 60_000_000);
    expect(neighbours.output).toContain("STALE");
    expect(app.sessionManager.isLive(id)).toBe(true);
  });
});
