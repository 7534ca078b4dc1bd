/**
 * GET /metrics: who may read it, and that its figures follow what the
 * instance does: a scrape, two commands and a trace stream, another scrape.
 */
import { describe, expect, it } from "vitest";
import { TEST_INSTRUCTOR_TOKEN, bearer, buildTestApp, createToken, runCommand, startSession } from "../helpers/build-app.js";
import { sharedRedis, skipWithoutRedis, startRedis } from "../helpers/redis-server.js";
import { freshDatabase } from "../helpers/test-database.js";
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

/** The samples named, as one object to compare whole. */
function pick(found: Map<string, number>, names: readonly string[]): Record<string, number | undefined> {
  return Object.fromEntries(names.map((name) => [name, found.get(name)]));
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
    const counted = ['cnlab_commands_total{result="acknowledged"}', 'cnlab_commands_total{result="refused"}', 'cnlab_commands_total{result="failed"}', "cnlab_trace_events_total", "cnlab_command_duration_seconds_count"];
    const current = ["cnlab_sessions_live", "cnlab_sessions_owned", "cnlab_trace_clients", "cnlab_lease_renewals_total", "cnlab_trace_events_relayed_total"];
    // Without Redis: no leases, and the instance owns what it runs.
    expect(pick(before, [...counted, ...current])).toEqual(Object.fromEntries([...counted, ...current].map((name) => [name, 0])));
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
    const events = ping.events.to - ping.events.from + (ip.events.to - ip.events.from);
    expect(events).toBeGreaterThan(0);
    expect(pick(after, [...counted, ...current])).toEqual({
      'cnlab_commands_total{result="acknowledged"}': 2,
      'cnlab_commands_total{result="refused"}': 1,
      'cnlab_commands_total{result="failed"}': 0,
      cnlab_trace_events_total: events,
      cnlab_command_duration_seconds_count: 2,
      cnlab_sessions_live: 1,
      cnlab_sessions_owned: 1,
      cnlab_trace_clients: 1,
      cnlab_lease_renewals_total: 0,
      cnlab_trace_events_relayed_total: 0,
    });
    expect(after.get("cnlab_command_duration_seconds_sum")).toBeGreaterThan(0);
    expect(after.get('cnlab_command_duration_seconds_bucket{le="+Inf"}')).toBe(2);
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

describe.skipIf(skipWithoutRedis)("GET /metrics with two instances on one database and one Redis", () => {
  const redis = sharedRedis();

  /** Two listening instances (the cluster forwards over HTTP to the address an instance listens on). */
  async function twoInstances(commandRate = 100_000): Promise<[App, App]> {
    const { url } = await freshDatabase();
    const apps: App[] = [];
    for (const instanceId of ["cnlab-a", "cnlab-b"]) {
      const app = await buildTestApp({ databaseUrl: url, redisUrl: redis().url, instanceId, leaseMs: 600, commandRate });
      await app.listen({ port: 0, host: "127.0.0.1" });
      apps.push(app);
    }
    return [apps[0]!, apps[1]!];
  }

  it("counts a command where it ran: the instance that forwarded it to the session's owner does not count it again", async () => {
    const [a, b] = await twoInstances();
    const student = await createToken(a, "Li Wei");
    const id = await startSession(a, student.token);
    await runCommand(a, student.token, id, "node1", "ip link show docker0");
    // Sent to b, run by a, which holds the session.
    const relayed = await b.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(student.token), payload: { host: "node1", command: "ip route" } });
    expect(relayed.statusCode).toBe(200);
    expect(relayed.headers["x-cnlab-instance"]).toBe("cnlab-a");

    // A trace stream on b, watching the session that a runs: the events of a's next command reach it through the database.
    const address = b.server.address() as { port: number };
    const stream = await openTraceSocket(`ws://127.0.0.1:${address.port}/api/sessions/${id}/trace?access_token=${student.token}`);
    await stream.until((messages) => messages.some((m) => m.type === "hello"), "hello");
    stream.send({ type: "subscribe", fromSeq: 0 });
    const ping = await runCommand(a, student.token, id, "node1", "ping -c 1 172.17.0.3", "nginx-1");
    await stream.until(() => stream.events().some((event) => event.seq === ping.events.to - 1), "the ping's last event");

    const [onA, onB] = [await scrape(a), await scrape(b)];
    expect(onB.get("cnlab_trace_events_relayed_total")).toBe(ping.events.to - ping.events.from);
    expect(onA.get("cnlab_trace_events_relayed_total")).toBe(0);
    const acknowledged = 'cnlab_commands_total{result="acknowledged"}';
    expect([onA.get(acknowledged), onB.get(acknowledged)]).toEqual([3, 0]);
    expect([onA.get("cnlab_command_duration_seconds_count"), onB.get("cnlab_command_duration_seconds_count")]).toEqual([3, 0]);
    expect([onA.get("cnlab_sessions_owned"), onB.get("cnlab_sessions_owned")]).toEqual([1, 0]);
    expect(onA.get('cnlab_instance_info{instance="cnlab-a"}')).toBe(1);
  });

  it("counts the lease renewals of the sessions it holds", async () => {
    const [a] = await twoInstances();
    const student = await createToken(a, "Li Wei");
    const id = await startSession(a, student.token);
    await runCommand(a, student.token, id, "node1", "ip link show docker0");
    // Renewed every third of CNLAB_LEASE_MS (600 ms here): wait for the first ones, however long the machine takes.
    for (;;) {
      const renewals = (await scrape(a)).get("cnlab_lease_renewals_total") ?? 0;
      if (renewals >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it("does not count a forwarded command twice against the token's rate limit", async () => {
    const [a, b] = await twoInstances(3);
    const student = await createToken(a, "Li Wei");
    const id = await startSession(a, student.token);
    const command = (app: App) => app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(student.token), payload: { host: "node1", command: "ip route" } });
    // In one second (a window that ends between two of them only lowers the count): one to a, which then
    // holds the session, one through b (forwarded to a), one to a again: three, the limit, if the
    // forwarded one is counted once; the fourth is refused.
    const answers = [(await command(a)).statusCode, (await command(b)).statusCode, (await command(a)).statusCode];
    expect(answers).toEqual([200, 200, 200]);
  });
});
