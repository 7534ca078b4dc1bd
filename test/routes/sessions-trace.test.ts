/**
 * The trace WebSocket with a real client. The access checks and the main
 * flow go through the real app (sessions and tokens made with the REST
 * routes, commands run through them); the limits a test needs small (slow
 * client, heartbeat) are tried on an app with the same route over an
 * in-memory session service.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { Compile } from "typebox/compile";
import { describe, expect, it, onTestFinished } from "vitest";
import WebSocket from "ws";
import { PROJECT_ROOT } from "../../server/db/prepare-database.js";
import { type TraceEvent } from "../../server/engine/index.js";
import { ClientMessage, LAYER_KINDS, TraceStreamSchemaDocument } from "../../server/routes/sessions/trace-schema.js";
import { CLOSE_LAGGED, CLOSE_SESSION_DELETED } from "../../server/sessions/trace-stream.js";
import { bearer, createToken } from "../helpers/build-app.js";
import { childEnv } from "../helpers/child-env.js";
import { fakeTraceApp } from "../helpers/fake-sessions.js";
import { startLabSession } from "../helpers/lab-session.js";
import { openTraceSocket } from "../helpers/trace-socket.js";

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

const fakeApp = fakeTraceApp;

/** A lab session on the real app, listening, and the WebSocket URL of its trace. */
async function liveLab() {
  const lab = await startLabSession("bridge-two-containers");
  const address = await lab.app.listen({ port: 0, host: "127.0.0.1" });
  const traceUrl = (query = `access_token=${lab.token}`) => `${address.replace("http", "ws")}/api/sessions/${lab.id}/trace?${query}`;
  return { ...lab, traceUrl };
}

async function refused(url: string, headers: Record<string, string> = {}): Promise<{ statusCode: number; body: { error: { code: string } } }> {
  const err = (await openTraceSocket(url, headers).then(
    () => {
      throw new Error("the upgrade was accepted");
    },
    (e: unknown) => e,
  )) as { statusCode: number; body: string };
  return { statusCode: err.statusCode, body: JSON.parse(err.body) as { error: { code: string } } };
}

const seqs = (events: TraceEvent[]) => events.map((e) => e.seq);

async function until(cond: () => boolean, what: () => string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("GET /api/sessions/:id/trace", () => {
  it("refuses before the upgrade, in the error shape: no token 401, another student's session 403, unknown session 404; no upgrade 426", async () => {
    const lab = await liveLab();
    expect(await refused(lab.traceUrl(""))).toMatchObject({ statusCode: 401, body: { error: { code: "UNAUTHORIZED" } } });
    expect(await refused(lab.traceUrl("access_token=cnlab_nonsense"))).toMatchObject({ statusCode: 401 });
    const other = await lab.otherStudentToken();
    expect(await refused(lab.traceUrl(`access_token=${other}`))).toMatchObject({ statusCode: 403, body: { error: { code: "FORBIDDEN" } } });
    expect(await refused(lab.traceUrl("").replace(lab.id, "no-such-session"), bearer(lab.token))).toMatchObject({ statusCode: 404, body: { error: { code: "SESSION_NOT_FOUND" } } });
    const plain = await lab.get(`/api/sessions/${lab.id}/trace`);
    expect(plain.statusCode).toBe(426);
    expect(plain.headers["upgrade"]).toBe("websocket");
    expect(plain.json().error.code).toBe("UPGRADE_REQUIRED");
  });

  it("nginx-1 pings nginx-2, then a client connects: hello, the ping replayed, then the curl that follows live, each event once in seq order", async () => {
    const lab = await liveLab();
    await lab.run("node1", "nginx-1", "ping -c 1 172.17.0.3");
    const stored = await lab.events();
    const client = await openTraceSocket(lab.traceUrl());
    await client.until((m) => m.length > 0, "hello");
    expect(client.messages[0]).toEqual({ type: "hello", sessionId: lab.id, nextSeq: stored.length });
    client.send({ type: "subscribe" });
    expect(await client.untilEvents(stored.length)).toEqual(stored);

    await lab.run("node1", "nginx-1", "curl -s http://172.17.0.3/");
    const all = await lab.events();
    expect(all.length).toBeGreaterThan(stored.length);
    expect(await client.untilEvents(all.length)).toEqual(all);
    expect(seqs(all)).toEqual(range(0, all.length));
  });

  it("a server shutting down closes the stream with 1001 (going away), so clients know to reconnect", async () => {
    const lab = await liveLab();
    const client = await openTraceSocket(lab.traceUrl());
    await client.until((m) => m.length > 0, "hello");
    await lab.app.close();
    expect((await client.closed).code).toBe(1001);
  });

  it("deleting the session ends its streams: an error saying so, then close code 4410; other sessions' streams go on", async () => {
    const lab = await liveLab();
    await lab.run("node1", "nginx-1", "ping -c 1 172.17.0.3");
    const stored = await lab.events();
    const client = await openTraceSocket(lab.traceUrl());
    client.send({ type: "subscribe" });
    await client.untilEvents(stored.length);
    const other = await lab.app.inject({ method: "POST", url: "/api/sessions", headers: bearer(lab.token), payload: { labId: "bridge-two-containers" } });
    const otherId = (other.json() as { id: string }).id;
    const bystander = await openTraceSocket(lab.traceUrl().replace(lab.id, otherId));
    bystander.send({ type: "subscribe" });
    await bystander.until((m) => m.length > 0, "hello");

    const deleted = await lab.app.inject({ method: "DELETE", url: `/api/sessions/${lab.id}`, headers: bearer(lab.token) });
    expect(deleted.statusCode).toBe(204);
    expect(await client.closed).toEqual({ code: CLOSE_SESSION_DELETED, reason: "session deleted" });
    expect(client.messages.at(-1)).toEqual({ type: "error", error: { code: "SESSION_DELETED", message: "The session was deleted: its trace ends here" } });

    await lab.app.inject({ method: "POST", url: `/api/sessions/${otherId}/commands`, headers: bearer(lab.token), payload: { host: "node1", namespace: "nginx-1", command: "ping -c 1 172.17.0.3" } });
    expect((await bystander.untilEvents(1)).length).toBeGreaterThan(0);
  });

  it("a student's terminal and the teacher's view each get the whole stream", async () => {
    const lab = await liveLab();
    await lab.run("node1", "nginx-1", "ping -c 1 172.17.0.3");
    const teacherToken = (await createToken(lab.app, "teacher", "instructor")).token;
    const studentView = await openTraceSocket(lab.traceUrl(""), bearer(lab.token));
    const teacherView = await openTraceSocket(lab.traceUrl(`access_token=${teacherToken}`));
    studentView.send({ type: "subscribe" });
    teacherView.send({ type: "subscribe" });
    await lab.run("node1", "nginx-2", "ping -c 2 172.17.0.2");
    await lab.run("node1", undefined, "ip neigh");
    await lab.run("node1", "nginx-1", "curl -s http://172.17.0.3/");
    const all = await lab.events();
    expect(await studentView.untilEvents(all.length)).toEqual(all);
    expect(await teacherView.untilEvents(all.length)).toEqual(all);
  });

  it("a long command's events reach a live client in seq order, each once, a thousand at a time as the worker cut them", async () => {
    const lab = await liveLab();
    const socket = await openTraceSocket(lab.traceUrl(""), bearer(lab.token));
    socket.send({ type: "subscribe" });
    // Over 3,000 events: several chunks, handed to the stream one after the other.
    await lab.run("node1", "nginx-1", "ping -c 120 -i 0.2 172.17.0.3");
    await lab.run("node1", "nginx-1", "ip neigh");
    const all = await lab.events();
    expect(all.length).toBeGreaterThan(3_000);
    expect(await socket.untilEvents(all.length)).toEqual(all);
  });

  it("of a very long command the head and the tail come live and the middle from the store: the client gets every event once, in order, with no command after it", async () => {
    const lab = await liveLab();
    const socket = await openTraceSocket(lab.traceUrl(""), bearer(lab.token));
    socket.send({ type: "subscribe" });
    // About 5,600 events: six chunks, of which the first two and the last go live; the gap sends the stream to the store.
    await lab.run("node1", "nginx-1", "ping -c 200 -i 0.2 172.17.0.3");
    const all = await lab.events();
    expect(all.length).toBeGreaterThan(5_000);
    expect(await socket.untilEvents(all.length)).toEqual(all);
  });

  it("a client that subscribes while a long command runs gets its events too, each once, in order", async () => {
    const lab = await liveLab();
    // The worker is told no one watches, so the server inflates the stored chunks for the late stream.
    const running = lab.run("node1", "nginx-1", "ping -c 120 -i 0.2 172.17.0.3");
    const socket = await openTraceSocket(lab.traceUrl(""), bearer(lab.token));
    socket.send({ type: "subscribe" });
    await running;
    await lab.run("node1", "nginx-1", "ip neigh");
    const all = await lab.events();
    expect(all.length).toBeGreaterThan(3_000);
    expect(await socket.untilEvents(all.length)).toEqual(all);
  });

  it("filters: only the bridge's flooding and learning; only ARP seen in nginx-1", async () => {
    const lab = await liveLab();
    const bridgeOnly = await openTraceSocket(lab.traceUrl());
    const arpInNginx1 = await openTraceSocket(lab.traceUrl());
    bridgeOnly.send({ type: "subscribe", filter: { kinds: ["bridge-flood", "bridge-learn"] } });
    arpInNginx1.send({ type: "subscribe", filter: { namespaces: ["nginx-1"], protocols: ["arp"] } });
    await lab.run("node1", "nginx-1", "ping -c 2 172.17.0.3");
    await lab.run("node1", "nginx-1", "curl -s http://172.17.0.3/");
    const all = await lab.events();

    const floods = all.filter((e) => e.kind === "bridge-flood" || e.kind === "bridge-learn");
    expect(floods.length).toBeGreaterThan(1);
    expect(await bridgeOnly.untilEvents(floods.length)).toEqual(floods);
    const arp = all.filter((e) => e.namespace === "nginx-1" && e.layers?.some((l) => l.kind === "arp"));
    expect(arp.length).toBeGreaterThan(1);
    expect(await arpInNginx1.untilEvents(arp.length)).toEqual(arp);

    // Later traffic that matches neither filter adds nothing (the third socket marks when it has been sent).
    await lab.run("node1", undefined, "ip route");
    const pinged = await openTraceSocket(lab.traceUrl());
    pinged.send({ type: "subscribe", fromSeq: all.length });
    await lab.run("node1", "nginx-1", "ping -c 1 172.17.0.3");
    await pinged.untilEvents(1);
    expect(bridgeOnly.events()).toEqual(floods);
  });

  it("resumes from a seq: the rest of the replay, then live; fromSeq = hello's nextSeq gives live events only", async () => {
    const lab = await liveLab();
    await lab.run("node1", "nginx-1", "ping -c 2 172.17.0.3");
    const before = await lab.events();
    const half = Math.floor(before.length / 2);
    const resumed = await openTraceSocket(lab.traceUrl());
    resumed.send({ type: "subscribe", fromSeq: half });
    const liveOnly = await openTraceSocket(lab.traceUrl());
    await liveOnly.until((m) => m[0]?.type === "hello");
    const hello = liveOnly.messages[0]!;
    liveOnly.send({ type: "subscribe", fromSeq: hello.type === "hello" ? hello.nextSeq : 0 });
    await resumed.untilEvents(before.length - half);

    await lab.run("node1", "nginx-2", "ping -c 1 172.17.0.2");
    const all = await lab.events();
    expect(seqs(await resumed.untilEvents(all.length - half))).toEqual(range(half, all.length));
    expect(await liveOnly.untilEvents(all.length - before.length)).toEqual(all.slice(before.length));
  });
  it("answers a bad message with an error and stays open; a second subscribe is refused", async () => {
    const lab = await liveLab();
    const client = await openTraceSocket(lab.traceUrl(""), bearer(lab.token));
    client.ws.send("not json");
    client.send({ type: "subscribe", fromSeq: -1 });
    client.send({ type: "subscribe", filter: { kinds: ["no-such-kind"] } });
    client.send({ type: "unsubscribe" });
    await client.until((m) => m.filter((x) => x.type === "error").length === 4, "four errors");
    const errors = client.messages.flatMap((m) => (m.type === "error" ? [m.error] : []));
    expect(errors.map((e) => e.code)).toEqual(["INVALID_MESSAGE", "INVALID_MESSAGE", "INVALID_MESSAGE", "INVALID_MESSAGE"]);
    expect(errors[0]?.message).toBe("The message is not JSON");
    expect(errors[1]?.message).toMatch(/fromSeq/);
    client.send({ type: "subscribe" });
    client.send({ type: "subscribe" });
    await client.until((m) => m.some((x) => x.type === "error" && x.error.code === "ALREADY_SUBSCRIBED"), "ALREADY_SUBSCRIBED");
    await lab.run("node1", "nginx-1", "ping -c 1 172.17.0.3");
    const all = await lab.events();
    expect(await client.untilEvents(all.length)).toEqual(all);
  });
  it("the example client prints the live trace, one line per event, with its filter", async () => {
    const lab = await liveLab();
    await lab.run("node1", "nginx-1", "ping -c 1 172.17.0.3");
    const server = lab.traceUrl("").replace(/^ws/, "http").replace(/\/api\/.*$/, "");
    const child = spawn(process.execPath, ["--import", "tsx", "examples/trace-client.ts", "--server", server, "--token", lab.token, "--session", lab.id, "--kind", "bridge-flood,arp-reply"], {
      cwd: PROJECT_ROOT,
      env: childEnv(),
      stdio: ["ignore", "pipe", "pipe"],
    });
    onTestFinished(() => void child.kill("SIGKILL"));
    const lines: string[] = [];
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    createInterface({ input: child.stdout }).on("line", (l) => lines.push(l));
    const expected = (await lab.events()).filter((e) => e.kind === "bridge-flood" || e.kind === "arp-reply");
    await until(() => lines.length >= expected.length, () => `replayed lines; stderr: ${stderr}`);
    await lab.run("node1", "nginx-2", "ping -c 1 172.17.0.1");
    const all = (await lab.events()).filter((e) => e.kind === "bridge-flood" || e.kind === "arp-reply");
    expect(all.length).toBeGreaterThan(expected.length);
    await until(() => lines.length >= all.length, () => `live lines; stderr: ${stderr}`);
    expect(lines).toHaveLength(all.length);
    lines.forEach((l, i) => {
      const e = all[i]!;
      expect(l.trim().split(/\s+/).slice(0, 4)).toEqual([String(e.seq), (e.time / 1e6).toFixed(6), e.kind, `${e.host}/${e.namespace}/${e.device ?? "-"}`]);
      expect(l.endsWith(e.summary)).toBe(true);
    });
    expect(stderr).toMatch(/replaying from 0, then live/);
    child.kill("SIGINT");
    expect(await new Promise((resolve) => child.on("exit", (code) => resolve(code)))).toBe(0);
  });
});

describe("trace stream limits (in-memory sessions)", () => {
  it("a paused client gets lagged with the last seq it was sent, then 4008; resuming from lastSeq + 1 loses nothing", async () => {
    const { sessions, url } = await fakeApp({ stream: { pageSize: 100, socketHighWater: 16 * 1024, maxQueuedEvents: 500, maxQueuedBytes: 1 << 20 } });
    const slow = await openTraceSocket(url("/api/sessions/s1/trace?access_token=S"));
    await slow.until((m) => m[0]?.type === "hello");
    slow.send({ type: "subscribe" });
    sessions.publish("s1", 10);
    await slow.untilEvents(10);

    slow.ws.pause();
    // Publish until the server gives up on the client (it unsubscribes), sockets' buffers and all.
    let published = 10;
    const summary = "y".repeat(1000);
    while (sessions.subscriberCount("s1") > 0 && published < 200_000) {
      sessions.publish("s1", 50, () => ({ summary }));
      published += 50;
      if (published % 2000 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(sessions.subscriberCount("s1")).toBe(0);
    slow.ws.resume();
    const { code } = await slow.closed;
    expect(code).toBe(CLOSE_LAGGED);
    const lagged = slow.messages.at(-1);
    expect(lagged?.type).toBe("lagged");
    const got = slow.events().map((e) => e.seq);
    expect(got).toEqual(range(0, got.length));
    expect(lagged?.type === "lagged" && lagged.lastSeq).toBe(got.length - 1);
    expect(got.length).toBeLessThan(published);

    const again = await openTraceSocket(url("/api/sessions/s1/trace?access_token=S"));
    again.send({ type: "subscribe", fromSeq: got.length });
    await again.untilEvents(published - got.length);
    expect([...got, ...again.events().map((e) => e.seq)]).toEqual(range(0, published));
  });

  it("pings every heartbeat and cuts off a peer that does not answer", async () => {
    const { url } = await fakeApp({ heartbeatMs: 40 });
    const alive = await openTraceSocket(url("/api/sessions/s1/trace?access_token=S"));
    let pings = 0;
    alive.ws.on("ping", () => pings++);
    const silent = new WebSocket(url("/api/sessions/s1/trace?access_token=S"), { autoPong: false });
    const silentClosed = new Promise<number>((resolve) => silent.on("close", (code) => resolve(code)));
    onTestFinished(() => silent.terminate());
    expect(await silentClosed).toBe(1006); // terminated, no close frame
    await new Promise((r) => setTimeout(r, 100));
    expect(pings).toBeGreaterThanOrEqual(2);
    expect(alive.ws.readyState).toBe(WebSocket.OPEN);
  });
});

describe("trace stream message schema", () => {
  it("docs/trace-stream.schema.json is the schema as the code has it", () => {
    expect(JSON.parse(readFileSync("docs/trace-stream.schema.json", "utf8"))).toEqual(JSON.parse(JSON.stringify(TraceStreamSchemaDocument)));
  });

  it("accepts a subscribe with every filter and rejects unknown kinds, protocols and fields", () => {
    const check = Compile(ClientMessage);
    expect(check.Check({ type: "subscribe", fromSeq: 12, filter: { hosts: ["node1"], namespaces: ["root"], devices: ["docker0"], kinds: ["bridge-flood"], protocols: ["arp"] } })).toBe(true);
    expect(check.Check({ type: "subscribe" })).toBe(true);
    expect(check.Check({ type: "subscribe", filter: { kinds: ["bridge-fluud"] } })).toBe(false);
    expect(check.Check({ type: "subscribe", filter: { protocols: ["http"] } })).toBe(false);
    expect(check.Check({ type: "subscribe", filter: { colour: ["red"] } })).toBe(false);
    expect(check.Check({ type: "subscribe", fromSeq: 1.5 })).toBe(false);
  });

  it("names every layer kind the wire decoder produces", () => {
    const decoderKinds = new Set([...readFileSync("server/engine/wire/packet.ts", "utf8").matchAll(/readonly kind: "([a-z0-9]+)"/g)].map((m) => m[1]));
    expect(new Set(LAYER_KINDS)).toEqual(decoderKinds);
  });
});
