/**
 * GET /metrics: who may read it, and that its figures follow what the
 * instance does: a scrape, two commands and a trace stream, another scrape.
 */
import { describe, expect, it } from "vitest";
import { TEST_INSTRUCTOR_TOKEN, bearer, buildTestApp, createToken, runCommand, startSession } from "../helpers/build-app.js";
import { openTraceSocket } from "../helpers/trace-socket.js";
import type { App } from "../../server/app.js";

const METRICS_TOKEN = "prometheus-scrape-0001";

/** Samples of a text exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    found.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return found;
}

async function scrape(app: App): Promise<Map<string, number>> {
  const response = await app.inject({ method: "GET", url: "/metrics", headers: bearer(TEST_INSTRUCTOR_TOKEN) });
  expect(response.statusCode).toBe(200);
  expect(response.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  return samples(response.body);
}

describe("GET /metrics", () => {
  it("opens to an instructor's token and to CNLAB_METRICS_TOKEN, not to a student, a wrong token or no token", async () => {
    const app = await buildTestApp({ metricsToken: METRICS_TOKEN });
    const student = await createToken(app, "Li Wei");
    const get = (headers: Record<string, string>) => app.inject({ method: "GET", url: "/metrics", headers });

    expect((await get(bearer(TEST_INSTRUCTOR_TOKEN))).statusCode).toBe(200);
    expect((await get(bearer(METRICS_TOKEN))).statusCode).toBe(200);
    const none = await get({});
    expect(none.statusCode).toBe(401);
    expect(none.json()).toMatchObject({ error: { code: "UNAUTHORIZED" } });
    expect((await get(bearer(`${METRICS_TOKEN}x`))).statusCode).toBe(401);
    expect((await get(bearer(student.token))).json()).toMatchObject({ error: { code: "FORBIDDEN" } });
  });

  it("is not opened by the metrics token when none is configured, and the metrics token opens nothing else", async () => {
    const without = await buildTestApp();
    expect((await without.inject({ method: "GET", url: "/metrics", headers: bearer(METRICS_TOKEN) })).statusCode).toBe(401);

    const app = await buildTestApp({ metricsToken: METRICS_TOKEN });
    expect((await app.inject({ method: "GET", url: "/api/sessions", headers: bearer(METRICS_TOKEN) })).statusCode).toBe(401);
    expect((await app.inject({ method: "GET", url: "/api/tokens", headers: bearer(METRICS_TOKEN) })).statusCode).toBe(401);
  });

  it("is refused like any token while the address is throttled for failed sign-ins, the right metrics token too", async () => {
    const app = await buildTestApp({ metricsToken: METRICS_TOKEN, authFailuresPerMinute: 2 });
    for (let i = 0; i < 2; i++) await app.inject({ method: "GET", url: "/metrics", headers: bearer(`guess-${i}-aaaaaaaaaaaaaaaa`) });
    const right = await app.inject({ method: "GET", url: "/metrics", headers: bearer(METRICS_TOKEN) });
    expect(right.statusCode).toBe(429);
    expect(right.json()).toMatchObject({ error: { code: "RATE_LIMITED" } });
  });

  it("counts commands, their events and their latency, and shows sessions, worker queues and trace clients as they are", async () => {
    const app = await buildTestApp();
    const student = await createToken(app, "Li Wei");
    const before = await scrape(app);
    expect(before.get('cnlab_commands_total{result="acknowledged"}')).toBe(0);
    expect(before.get("cnlab_trace_events_total")).toBe(0);
    expect(before.get("cnlab_sessions_live")).toBe(0);
    expect(before.get("cnlab_trace_clients")).toBe(0);
    // Without Redis: no leases, and the instance owns what it runs.
    expect(before.get("cnlab_lease_renewals_total")).toBe(0);
    // Node's own figures are there too.
    expect(before.get("process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect([...before.keys()].some((name) => name.startsWith("nodejs_eventloop_lag_seconds"))).toBe(true);

    const id = await startSession(app, student.token);
    const ping = await runCommand(app, student.token, id, "node1", "ping -c 1 172.17.0.3", "nginx-1");
    const ip = await runCommand(app, student.token, id, "node1", "ip link show docker0");
    const refused = await app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(student.token), payload: { host: "node1" } });
    expect(refused.statusCode).toBe(400);
    const address = await app.listen({ port: 0, host: "127.0.0.1" });
    const client = await openTraceSocket(`${address.replace("http", "ws")}/api/sessions/${id}/trace?access_token=${student.token}`);
    await client.until((messages) => messages.some((m) => m.type === "hello"), "hello");

    const after = await scrape(app);
    expect(after.get('cnlab_commands_total{result="acknowledged"}')).toBe(2);
    expect(after.get('cnlab_commands_total{result="refused"}')).toBe(1);
    expect(after.get('cnlab_commands_total{result="failed"}')).toBe(0);
    const events = ping.events.to - ping.events.from + (ip.events.to - ip.events.from);
    expect(events).toBeGreaterThan(0);
    expect(after.get("cnlab_trace_events_total")).toBe(events);
    expect(after.get("cnlab_command_duration_seconds_count")).toBe(2);
    expect(after.get("cnlab_command_duration_seconds_sum")).toBeGreaterThan(0);
    expect(after.get('cnlab_command_duration_seconds_bucket{le="+Inf"}')).toBe(2);
    expect(after.get("cnlab_sessions_live")).toBe(1);
    expect(after.get("cnlab_sessions_owned")).toBe(1);
    expect(after.get("cnlab_trace_clients")).toBe(1);
    const workers = [...after.keys()].filter((name) => name.startsWith("cnlab_worker_queue_depth{"));
    expect(workers.length).toBeGreaterThan(0);
    // Every command was answered: nothing waits in a worker.
    for (const worker of workers) expect(after.get(worker)).toBe(0);
    expect([...after.keys()].find((name) => name.startsWith("cnlab_instance_info{"))).toMatch(/instance="[^"]+"/);
  });

  it("stays out of the OpenAPI document", async () => {
    const app = await buildTestApp();
    const doc = (await app.inject({ method: "GET", url: "/openapi.json" })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(doc.paths)).not.toContain("/metrics");
  });
});
