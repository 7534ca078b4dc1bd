/**
 * The limits a class can count on, through the HTTP API: a command stopped
 * by its event or CPU budget answers with its true statistics and a message
 * naming the limit, logs where it stopped, and a session rebuilt from its log
 * says the same; another session's command is answered while a long one runs
 * (the simulator shares its worker in slices); a session or token over its
 * storage quota is refused with 409 and keeps what it has; state and capture
 * files past their size limit answer 413.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_SIMULATOR_CONFIG, type SimulatorConfig } from "../../server/simulator/simulator-config.js";
import { bearer, buildTestApp, createToken, startSession } from "../helpers/build-app.js";

const NGINX1 = { host: "node1", namespace: "nginx-1" } as const;

function simulator(patch: Omit<Partial<SimulatorConfig>, "limits"> & { limits?: Partial<SimulatorConfig["limits"]> }): SimulatorConfig {
  return { ...DEFAULT_SIMULATOR_CONFIG, ...patch, workers: 1, limits: { ...DEFAULT_SIMULATOR_CONFIG.limits, ...patch.limits } };
}

async function setUp(config: SimulatorConfig) {
  const app = await buildTestApp({ simulator: config });
  const student = await createToken(app, "Li Wei");
  const id = await startSession(app, student.token);
  const run = (command: string, place: { host: string; namespace?: string } = NGINX1, session = id) =>
    app.inject({ method: "POST", url: `/api/sessions/${session}/commands`, headers: bearer(student.token), payload: { ...place, command } });
  return { app, student, id, run };
}

describe("command budgets", () => {
  it("ping -c 100000 stops at the event budget: true statistics, the limit named, the stop logged, the session usable, and a rebuilt session says the same", async () => {
    const { app, id, run } = await setUp(simulator({ limits: { commandEvents: 3_000 } }));
    const big = await run("ping -c 100000 172.17.0.3");
    expect(big.statusCode).toBe(200);
    const answer = big.json<{ output: string; exitCode: number; interruption: { reason: string; limit: number } | null; events: { from: number; to: number } }>();
    const sent = Number(/(\d+) packets transmitted/.exec(answer.output)![1]);
    expect(sent).toBeGreaterThan(10);
    expect(answer.output).toContain(`cnlab: the command was stopped after ${sent} of 100000 packets sent: it reached the limit of 3000 trace events one command may record.`);
    expect(answer.exitCode).toBe(0);
    expect(answer.interruption).toMatchObject({ reason: "event-budget", limit: 3000 });
    const events = (await app.inject({ url: `/api/sessions/${id}/events?kind=drop&limit=100`, headers: bearer((await createToken(app, "t", "instructor")).token) })).json<{
      events: { reason: string }[];
    }>().events;
    expect(events.map((e) => e.reason)).toContain("event-budget");

    // Still usable; and a copy rebuilt from the log (the stop replayed at its step) is the live network.
    const after = await run("ip -s link show dev eth0");
    expect(after.statusCode).toBe(200);
    const copy = await app.sessionManager.copy(await app.sessions.replayInputs(id));
    copy.release();
    expect(copy.state).toEqual(JSON.parse(await app.sessionManager.state(id)));
  });

  it("a CPU budget stops a long command between two steps with its statistics; the stop is stored and replays to the same trace", async () => {
    const { app, id, run } = await setUp(simulator({ budget: { cpuMs: 10, wallMs: 60_000 } }));
    const big = await run("ping -c 100000 -i 0.002 -s 20000 172.17.0.3");
    const answer = big.json<{ output: string; interruption: { reason: string; afterSteps: number; limit: number } | null; events: { from: number; to: number } }>();
    expect(answer.interruption).toMatchObject({ reason: "cpu-budget", limit: 10 });
    expect(answer.output).toMatch(/cnlab: the command was stopped after \d+ of 100000 packets sent: it used the 10 ms of simulator time one command may take\./);
    const inputs = await app.sessions.replayInputs(id);
    expect(inputs.commands[0]!.interruption).toEqual(answer.interruption);
    // A grading copy replays the log in a worker: its state matches the live one.
    const copy = await app.sessionManager.copy(inputs);
    copy.release();
    const live = JSON.parse(await app.sessionManager.state(id));
    expect(copy.state.hosts).toEqual(live.hosts);
  });

  it("another session's command is answered while a long one runs on the same worker", async () => {
    const { app, student, id, run } = await setUp(simulator({ budget: { cpuMs: 60_000, wallMs: 60_000 } }));
    const other = await startSession(app, student.token);
    const order: string[] = [];
    const long = run("ping -c 3000 -i 0.002 -s 8000 172.17.0.3").then((r) => {
      order.push("long");
      return r;
    });
    // Let the long command start, then ask something quick of another session.
    await new Promise((resolve) => setTimeout(resolve, 50));
    const quick = await run("ip route", { host: "node1" }, other);
    order.push("quick");
    expect(quick.statusCode).toBe(200);
    const longAnswer = await long;
    expect(longAnswer.statusCode).toBe(200);
    expect(order).toEqual(["quick", "long"]);
    expect(id).not.toBe(other);
  });
});

describe("storage quotas and size limits", () => {
  it("a session over its storage quota refuses further commands with 409 and keeps what it stored", async () => {
    const { run } = await setUp(simulator({ sessionStorageBytes: 2_000 }));
    expect((await run("ping -c 3 172.17.0.3")).statusCode).toBe(200);
    const refused = await run("ip neigh");
    expect(refused.statusCode).toBe(409);
    expect(refused.json()).toMatchObject({ error: { code: "STORAGE_QUOTA_EXCEEDED" } });
    expect(refused.json<{ error: { message: string } }>().error.message).toMatch(/This session stores [\d.]+ MB of commands and trace, its limit of/);
  });

  it("all of a token's sessions together are held to its quota; another student is not", async () => {
    const { app, student, run } = await setUp(simulator({ tokenStorageBytes: 1_000 }));
    // Checked before a command runs: the first goes through and takes the token past its quota.
    expect((await run("ping -c 3 172.17.0.3")).statusCode).toBe(200);
    const second = await startSession(app, student.token);
    const refused = await run("ip route", { host: "node1" }, second);
    expect(refused.statusCode).toBe(409);
    expect(refused.json<{ error: { message: string } }>().error.message).toContain("per student");
    const other = await createToken(app, "Zhang San");
    const theirs = await startSession(app, other.token);
    const ok = await app.inject({ method: "POST", url: `/api/sessions/${theirs}/commands`, headers: bearer(other.token), payload: { host: "node1", command: "ip route" } });
    expect(ok.statusCode).toBe(200);
  });

  it("state and capture files past their size limits answer 413 in the error shape", async () => {
    const { app, id, student, run } = await setUp(simulator({ maxStateBytes: 1_000, maxCaptureBytes: 2_000 }));
    await run("ping -c 5 172.17.0.3");
    const state = await app.inject({ url: `/api/sessions/${id}/state`, headers: bearer(student.token) });
    expect(state.statusCode).toBe(413);
    expect(state.json()).toMatchObject({ error: { code: "PAYLOAD_TOO_LARGE" } });
    const pcap = await app.inject({ url: `/api/sessions/${id}/pcap`, headers: bearer(student.token) });
    expect(pcap.statusCode).toBe(413);
    expect(pcap.json<{ error: { code: string; message: string } }>().error).toMatchObject({ code: "PAYLOAD_TOO_LARGE" });
    expect(pcap.json<{ error: { message: string } }>().error.message).toContain("Ask for one device");
    const one = await app.inject({ url: `/api/sessions/${id}/pcap?host=node1&device=lo`, headers: bearer(student.token) });
    expect(one.statusCode).toBe(200);
  });

  it("a page of the stored trace holds at most 2 MB of events; paging on gives every event once", async () => {
    const { app, id, student, run } = await setUp(simulator({}));
    const big = (await run("ping -c 40 -i 0.2 -s 65507 172.17.0.3")).json<{ events: { from: number; to: number } }>();
    expect(big.events.to).toBeGreaterThan(5_000);
    const first = await app.inject({ url: `/api/sessions/${id}/events?limit=5000`, headers: bearer(student.token) });
    const page = first.json<{ events: { seq: number }[]; next: number; nextSeq: number }>();
    expect(first.body.length).toBeLessThanOrEqual(2 * 1024 * 1024 + 64 * 1024);
    expect(page.events.length).toBeLessThan(5_000);
    expect(page.next).toBe(page.events.at(-1)!.seq + 1);
    const seqs: number[] = [];
    for (let from = 0; from < page.nextSeq; ) {
      const p = (await app.inject({ url: `/api/sessions/${id}/events?from=${from}&limit=5000`, headers: bearer(student.token) })).json<{ events: { seq: number }[]; next: number }>();
      seqs.push(...p.events.map((e) => e.seq));
      from = p.next;
    }
    expect(seqs).toEqual(Array.from({ length: page.nextSeq }, (_, i) => i));
  });
});
