/**
 * Per-token rate limits: the refusal's shape, and the slowing of a client
 * that keeps asking while refused. The first `max` refusals of a window go
 * out at once; past them, each waits SLOWED_REFUSAL_MS and says so.
 */
import { describe, expect, it } from "vitest";
import { SLOWED_REFUSAL_MS } from "../../server/plugins/rate-limits.js";
import { bearer, buildTestApp, createToken } from "../helpers/build-app.js";

describe("per-token rate limits", () => {
  it("refuses past the limit with 429 RATE_LIMITED and Retry-After, then holds each further refusal back and says so", async () => {
    // Two new sessions a minute: the five requests fall in one window however slow the machine.
    const app = await buildTestApp({ sessionRate: 2 });
    const student = await createToken(app, "Wang Fang");
    const start = async () => {
      const started = performance.now();
      const answer = await app.inject({ method: "POST", url: "/api/sessions", headers: bearer(student.token), payload: { labId: "bridge-two-containers" } });
      return { answer, ms: performance.now() - started };
    };

    // Two allowed, two refused at once, and the fifth (the limit's worth of refusals past it) slowed.
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await start());
    expect(answers.map((a) => a.answer.statusCode)).toEqual([201, 201, 429, 429, 429]);
    const refusals = answers.filter((a) => a.answer.statusCode === 429);
    for (const { answer } of refusals) {
      expect(answer.headers["retry-after"]).toMatch(/^[0-9]+$/);
      expect(answer.json()).toMatchObject({ error: { code: "RATE_LIMITED", details: { limit: 2, window: "minute" } } });
    }
    const slowed = refusals.filter((a) => (a.answer.json() as { error: { details: { slowedMs?: number } } }).error.details.slowedMs !== undefined);
    expect(slowed).toEqual([answers[4]]);
    expect(slowed[0]!.answer.json()).toMatchObject({ error: { details: { slowedMs: SLOWED_REFUSAL_MS } } });
    expect(slowed[0]!.answer.json<{ error: { message: string } }>().error.message).toContain(`answered after ${SLOWED_REFUSAL_MS / 1000} s`);
    // Held back for the whole delay (a lower bound: nothing here can make it come sooner).
    expect(slowed[0]!.ms).toBeGreaterThanOrEqual(SLOWED_REFUSAL_MS - 5);
  });
});
