/** GET /api/me: the token's holder as the web page shows it, never the token. */
import { describe, expect, it } from "vitest";
import { bearer, createToken, sharedTestApp, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";

describe("GET /api/me", () => {
  const app = sharedTestApp();

  it("names a student's token and its role", async () => {
    const student = await createToken(app(), "Li Lei");
    const response = await app().inject({ url: "/api/me", headers: bearer(student.token) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ id: student.id, name: "Li Lei", role: "student" });
    expect(response.body).not.toContain(student.token);
  });

  it("says instructor for an instructor's token", async () => {
    const response = await app().inject({ url: "/api/me", headers: bearer(TEST_INSTRUCTOR_TOKEN) });
    expect(response.json().role).toBe("instructor");
  });

  it("is 401 without a token or with an unknown one", async () => {
    expect((await app().inject({ url: "/api/me" })).statusCode).toBe(401);
    const unknown = await app().inject({ url: "/api/me", headers: bearer("cnlab_not-a-real-token-000000") });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json().error.code).toBe("UNAUTHORIZED");
  });
});
