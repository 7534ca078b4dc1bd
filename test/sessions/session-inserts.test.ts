/**
 * A session's row is written through the database driver (session-inserts.ts),
 * not Prisma: Prisma must read it back as its own, on SQLite and on
 * PostgreSQL (npm run test:pg), and the row the insert gives back must be what
 * a read gives.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, type TopologySpec } from "../../server/engine/index.js";
import { findSession } from "../../server/sessions/session-repository.js";
import { sessionInserts } from "../../server/sessions/session-inserts.js";
import { buildTestApp, createToken } from "../helpers/build-app.js";

describe("a session's row through the driver", () => {
  it("reads the lab as Prisma does, and writes a row Prisma reads back as the insert gave it", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice Ng");
    const inserts = sessionInserts(app.database);

    const viaPrisma = await app.prisma.lab.findUnique({ where: { id: "bridge-two-containers" }, select: { definition: true, contentHash: true } });
    expect(viaPrisma).not.toBeNull();
    expect(await inserts.lab("bridge-two-containers")).toEqual(viaPrisma);
    expect(await inserts.lab("no-such-lab")).toBeNull();

    const topology = (JSON.parse(viaPrisma!.definition) as { topology: TopologySpec }).topology;
    const now = new Date(Date.UTC(2026, 11, 5, 5, 6, 7, 891));
    const session = {
      id: "0f8e9d7c-0000-4000-8000-000000000001",
      labId: "bridge-two-containers",
      labContentHash: viaPrisma!.contentHash,
      topology,
      seed: 2 ** 31 - 2,
      startTime: 2 ** 40,
      ownerId: alice.id,
      limits: DEFAULT_LIMITS,
    };
    const written = await inserts.insert(session, "Alice Ng", now);
    expect(written).toEqual(await findSession(app.prisma, session.id));
    expect(written).toMatchObject({ createdAt: now, updatedAt: now, startTime: 2 ** 40, ownerName: "Alice Ng", commandCount: 0, storedBytes: 0, archivedAt: null });

    // The columns only a replay reads, as Prisma reads them.
    const stored = await app.prisma.session.findUniqueOrThrow({ where: { id: session.id }, select: { topology: true, limits: true, labContentHash: true, startTime: true } });
    expect(JSON.parse(stored.topology)).toEqual(topology);
    expect(JSON.parse(stored.limits!)).toEqual(DEFAULT_LIMITS);
    expect(stored.labContentHash).toBe(viaPrisma!.contentHash);
    expect(stored.startTime).toBe(2n ** 40n);

    // The same id twice is refused by the database, as Prisma's create would be.
    await expect(inserts.insert(session, "Alice Ng", now)).rejects.toThrow();
    await app.close();
  });

  it("a session started over HTTP is the row the database holds", async () => {
    const app = await buildTestApp();
    const bob = await createToken(app, "Bob");
    const response = await app.inject({ method: "POST", url: "/api/sessions", headers: { authorization: `Bearer ${bob.token}` }, payload: { labId: "bridge-two-containers" } });
    expect(response.statusCode).toBe(201);
    const body = response.json<{ id: string; owner?: unknown; createdAt: string }>();
    const row = await findSession(app.prisma, body.id);
    expect(row?.ownerName).toBe("Bob");
    expect(new Date(body.createdAt).getTime()).toBe(row!.createdAt.getTime());
    await app.close();
  });
});
