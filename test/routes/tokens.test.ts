/**
 * Tokens: an instructor makes one per student (shown once, stored hashed),
 * lists them without secrets, and revokes them; the first instructor token
 * comes from CNLAB_INSTRUCTOR_TOKEN or is generated and shown once.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bearer, buildTestApp, createToken, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { freshDatabase } from "../helpers/test-database.js";

const instructor = bearer(TEST_INSTRUCTOR_TOKEN);

describe("POST /api/tokens", () => {
  it("makes a student token, shown once and stored only as its SHA-256, that then works", async () => {
    const app = await buildTestApp();
    const response = await app.inject({ method: "POST", url: "/api/tokens", headers: instructor, payload: { name: "李雷" } });

    expect(response.statusCode).toBe(201);
    const created = response.json<{ id: string; name: string; role: string; token: string; createdAt: string; createdById: string }>();
    expect(created).toMatchObject({ name: "李雷", role: "student", createdById: "bootstrap-instructor" });
    expect(created.token).toMatch(/^cnlab_[A-Za-z0-9_-]{43}$/);

    const row = await app.prisma.accessToken.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.tokenHash).toBe(createHash("sha256").update(created.token).digest("hex"));
    expect(JSON.stringify(row)).not.toContain(created.token);

    const own = await app.inject({ method: "GET", url: "/api/sessions", headers: bearer(created.token) });
    expect(own.statusCode).toBe(200);
  });

  it("makes an instructor token when asked, which may make tokens itself", async () => {
    const app = await buildTestApp();
    const second = await createToken(app, "Second instructor", "instructor");
    const made = await app.inject({ method: "POST", url: "/api/tokens", headers: bearer(second.token), payload: { name: "Han Meimei" } });
    expect(made.statusCode).toBe(201);
    expect(made.json()).toMatchObject({ createdById: second.id, role: "student" });
  });

  it("keeps names unique among tokens in use: 409 TOKEN_NAME_TAKEN", async () => {
    const app = await buildTestApp();
    await createToken(app, "Alice");
    const again = await app.inject({ method: "POST", url: "/api/tokens", headers: instructor, payload: { name: "Alice" } });
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe("TOKEN_NAME_TAKEN");
  });

  it("rejects an empty name, one with a line break and an unknown role with 400", async () => {
    const app = await buildTestApp();
    for (const payload of [{ name: "" }, { name: "a\nb" }, { name: " padded " }, { name: "x", role: "admin" }]) {
      const response = await app.inject({ method: "POST", url: "/api/tokens", headers: instructor, payload });
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json().error.code).toBe("VALIDATION_ERROR");
    }
  });
});

describe("GET /api/tokens", () => {
  it("lists the tokens in use with id, name, role and dates, never a token or a hash", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const response = await app.inject({ method: "GET", url: "/api/tokens", headers: instructor });

    expect(response.statusCode).toBe(200);
    const { tokens } = response.json<{ tokens: Array<Record<string, unknown>> }>();
    expect(tokens.map((t) => [t["name"], t["role"]])).toEqual([
      ["instructor", "instructor"],
      ["Alice", "student"],
    ]);
    expect(Object.keys(tokens[1] ?? {}).sort()).toEqual(["createdAt", "createdById", "id", "name", "role"]);
    expect(response.body).not.toContain(alice.token);
    expect(response.body).not.toContain(createHash("sha256").update(alice.token).digest("hex"));
  });
});

describe("DELETE /api/tokens/:id", () => {
  it("revokes a token at once (401 after), keeps its sessions, and frees its name", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    const session = await app.inject({ method: "POST", url: "/api/sessions", headers: bearer(alice.token), payload: { labId: "host-network" } });
    expect((await app.inject({ method: "GET", url: "/api/sessions", headers: bearer(alice.token) })).statusCode).toBe(200);

    const deleted = await app.inject({ method: "DELETE", url: `/api/tokens/${alice.id}`, headers: instructor });
    expect(deleted.statusCode).toBe(204);

    const after = await app.inject({ method: "GET", url: "/api/sessions", headers: bearer(alice.token) });
    expect(after.statusCode).toBe(401);
    expect(after.json()).toEqual({ error: { code: "UNAUTHORIZED", message: "The bearer token is unknown or has been revoked" } });
    const kept = await app.inject({ method: "GET", url: `/api/sessions/${session.json<{ id: string }>().id}`, headers: instructor });
    expect(kept.json()).toMatchObject({ owner: { id: alice.id, name: "Alice" } });
    expect((await app.inject({ method: "GET", url: "/api/tokens", headers: instructor })).json<{ tokens: unknown[] }>().tokens).toHaveLength(1);
    await createToken(app, "Alice");
  });

  it("answers an unknown or already revoked token with 404 TOKEN_NOT_FOUND", async () => {
    const app = await buildTestApp();
    const alice = await createToken(app, "Alice");
    await app.inject({ method: "DELETE", url: `/api/tokens/${alice.id}`, headers: instructor });
    for (const id of [alice.id, "no-such-token"]) {
      const response = await app.inject({ method: "DELETE", url: `/api/tokens/${id}`, headers: instructor });
      expect(response.statusCode).toBe(404);
      expect(response.json().error.code).toBe("TOKEN_NOT_FOUND");
    }
  });

  it("refuses to revoke the last instructor token: 409 LAST_INSTRUCTOR", async () => {
    const app = await buildTestApp();
    const refused = await app.inject({ method: "DELETE", url: "/api/tokens/bootstrap-instructor", headers: instructor });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().error.code).toBe("LAST_INSTRUCTOR");

    const second = await createToken(app, "Second instructor", "instructor");
    expect((await app.inject({ method: "DELETE", url: "/api/tokens/bootstrap-instructor", headers: bearer(second.token) })).statusCode).toBe(204);
    expect((await app.inject({ method: "GET", url: "/api/tokens", headers: instructor })).statusCode).toBe(401);
  });
});

describe("the first instructor token", () => {
  it("is generated and announced once when none is configured, then kept; a configured one replaces it", async () => {
    const { url } = await freshDatabase();
    const announced: string[] = [];
    const announceToken = (token: string) => announced.push(token);

    const first = await buildTestApp({ databaseUrl: url, instructorToken: null, announceToken });
    expect(announced).toHaveLength(1);
    const generated = announced[0]!;
    expect(generated).toMatch(/^cnlab_/);
    expect((await first.inject({ method: "GET", url: "/api/tokens", headers: bearer(generated) })).statusCode).toBe(200);
    await first.close();

    const second = await buildTestApp({ databaseUrl: url, instructorToken: null, announceToken });
    expect(announced).toHaveLength(1);
    expect((await second.inject({ method: "GET", url: "/api/tokens", headers: bearer(generated) })).statusCode).toBe(200);
    await second.close();

    const third = await buildTestApp({ databaseUrl: url, instructorToken: "cnlab_configured-instructor-token", announceToken });
    expect(announced).toHaveLength(1);
    expect((await third.inject({ method: "GET", url: "/api/tokens", headers: bearer("cnlab_configured-instructor-token") })).statusCode).toBe(200);
    expect((await third.inject({ method: "GET", url: "/api/tokens", headers: bearer(generated) })).statusCode).toBe(401);
    expect(await third.prisma.accessToken.count({ where: { role: "instructor" } })).toBe(1);
  });

  it("refuses a configured value that is another token's", async () => {
    const { url } = await freshDatabase();
    const app = await buildTestApp({ databaseUrl: url });
    const alice = await createToken(app, "Alice");
    await app.close();
    await expect(buildTestApp({ databaseUrl: url, instructorToken: alice.token })).rejects.toThrow(/CNLAB_INSTRUCTOR_TOKEN is the value of an existing token/);
  });
});
