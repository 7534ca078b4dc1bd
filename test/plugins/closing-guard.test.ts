/**
 * Graceful shutdown: a request already running when close() starts finishes
 * normally and its keep-alive connection is ended rather than left to time
 * out; a request completed on a connection during the shutdown gets 503
 * SHUTTING_DOWN in the error shape; the database closes after both. Commands
 * queued behind a session's running one when the shutdown starts are answered
 * SHUTTING_DOWN too, not rebuilt for a simulator that is stopping.
 */
import { connect } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { App } from "../../server/app.js";
import { bearer, buildTestApp, createToken, SHIPPED_LAB_COUNT, startSession } from "../helpers/build-app.js";

async function listen(app: App): Promise<number> {
  await app.listen({ port: 0, host: "127.0.0.1" });
  const address = app.server.address();
  if (address === null || typeof address === "string") throw new Error("not listening on TCP");
  return address.port;
}

describe("shutdown", () => {
  it("lets an in-flight request finish, ends its keep-alive connection, then closes the database", async () => {
    const app = await buildTestApp();
    const events: string[] = [];
    app.get("/slow", async () => {
      await sleep(300);
      // The database is still open: it closes after the last request, not under it.
      const labs = await app.prisma.lab.count();
      events.push("slow request done");
      return { labs };
    });
    app.addHook("onClose", async () => {
      events.push("app closed");
    });
    const port = await listen(app);

    const slow = fetch(`http://127.0.0.1:${port}/slow`);
    await sleep(100);
    const started = Date.now();
    const closing = app.close();

    const response = await slow;
    expect(response.status).toBe(200);
    expect(response.headers.get("connection")).toBe("close");
    expect(await response.json()).toEqual({ labs: SHIPPED_LAB_COUNT });
    await closing;
    // Not the 72 s keep-alive timeout: the connection ended with the response.
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(events).toEqual(["slow request done", "app closed"]);
    await expect(fetch(`http://127.0.0.1:${port}/health`)).rejects.toThrow();
  });

  it("answers a request completed during the shutdown with 503 SHUTTING_DOWN", async () => {
    const app = await buildTestApp();
    const port = await listen(app);

    // A connection that is mid-request when close() starts is not idle, so it survives to finish its request.
    const socket = connect(port, "127.0.0.1");
    await new Promise((resolve) => socket.once("connect", resolve));
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString()));
    const ended = new Promise((resolve) => socket.once("close", resolve));
    socket.write("GET /health HTTP/1.1\r\nHost: cnlab\r\n");
    await sleep(50);

    const closing = app.close();
    await sleep(50);
    socket.write("\r\n");
    await ended;
    await closing;

    const [head = "", body = ""] = received.split("\r\n\r\n");
    expect(head).toMatch(/^HTTP\/1\.1 503 /);
    expect(head.toLowerCase()).toContain("connection: close");
    expect(JSON.parse(body)).toEqual({ error: { code: "SHUTTING_DOWN", message: "The server is shutting down" } });
  });

  it("answers commands still queued behind a session's running one with 503 SHUTTING_DOWN, and nothing that ran is lost", async () => {
    const app = await buildTestApp();
    const student = await createToken(app, "Chen Jing");
    const id = await startSession(app, student.token);
    // A session runs one command at a time: the others wait in its queue.
    const sent = Array.from({ length: 12 }, () =>
      app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(student.token), payload: { host: "node1", namespace: "nginx-1", command: "ping -c 2 172.17.0.3" } }),
    );
    await sleep(20);
    await app.close();
    const answers = await Promise.all(sent);

    const outcomes = answers.map((a) => (a.statusCode === 200 ? "ran" : `${a.statusCode} ${a.json<{ error: { code: string } }>().error.code}`));
    // Each either ran to its end or was refused as the server stopped: never a simulator "restart".
    expect(new Set(outcomes).size).toBeLessThanOrEqual(2);
    for (const outcome of outcomes) expect(["ran", "503 SHUTTING_DOWN"]).toContain(outcome);
    expect(outcomes).toContain("503 SHUTTING_DOWN");
    // Every command answered 200 is in the log, in order.
    const ran = answers.filter((a) => a.statusCode === 200).map((a) => a.json<{ index: number }>().index);
    expect(ran.sort((a, b) => a - b)).toEqual(ran.map((_, i) => i));
  });
});
