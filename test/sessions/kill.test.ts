/**
 * Nothing acknowledged is lost: the real server, killed with SIGKILL in the
 * middle of a burst of commands, restarts on the same database with every
 * command it answered 200 in the log, in place, and in the network state.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bearer, buildTestApp, runCommand } from "../helpers/build-app.js";
import { runMain } from "../helpers/run-main.js";
import { tempDir } from "../helpers/temp-dir.js";

const SESSIONS = 4;
const PER_SESSION = 50;
/** Kill once this many commands have been acknowledged: well inside the burst. */
const KILL_AFTER = 25;

interface Ack {
  sessionId: string;
  command: string;
  index: number;
  output: string;
}

async function start(env: Record<string, string>) {
  const server = runMain(env);
  const baseUrl = await server.listening;
  return { server, baseUrl };
}

async function call<T>(baseUrl: string, token: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

describe("kill -9 in the middle of a burst", () => {
  it("loses no acknowledged command: each is in the log at its index with its output, and in the rebuilt state", async () => {
    const databaseFile = path.join(await tempDir(), "data", "cnlab.db");
    // No CNLAB_INSTRUCTOR_TOKEN: the first start generates one and prints it once.
    const env = { PORT: "0", DATABASE_URL: `file:${databaseFile}`, LOG_LEVEL: "info", CNLAB_COMMAND_RATE: "100000" };

    const { server, baseUrl } = await start(env);
    const announced = server.plainLines.find((line) => line.startsWith("cnlab: instructor token: "));
    expect(announced).toBeDefined();
    const instructor = announced!.slice("cnlab: instructor token: ".length);

    const student = (await call<{ token: string }>(baseUrl, instructor, "POST", "/api/tokens", { name: "Burst" })).body.token;
    const sessions: string[] = [];
    for (let s = 0; s < SESSIONS; s++) sessions.push((await call<{ id: string }>(baseUrl, student, "POST", "/api/sessions", { labId: "bridge-two-containers" })).body.id);

    const acks: Ack[] = [];
    let killed = false;
    const burst = sessions.flatMap((sessionId, s) =>
      Array.from({ length: PER_SESSION }, async (_, i) => {
        const command = `ip route add 10.${s}.${i}.0/24 via 172.17.0.1`;
        try {
          const answer = await call<{ index: number; output: string }>(baseUrl, student, "POST", `/api/sessions/${sessionId}/commands`, {
            host: "node1",
            namespace: "nginx-1",
            command,
          });
          if (answer.status !== 200) throw new Error(`status ${answer.status}`);
          acks.push({ sessionId, command, index: answer.body.index, output: answer.body.output });
          if (acks.length >= KILL_AFTER && !killed) {
            killed = true;
            server.child.kill("SIGKILL");
          }
        } catch {
          // Cut off by the kill: not acknowledged, so the server owes nothing for it.
        }
      }),
    );
    await Promise.all(burst);
    await server.exited;
    expect(killed).toBe(true);
    expect(acks.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acks.length).toBeLessThan(SESSIONS * PER_SESSION);

    // The restart runs in this process on the same file: what matters is what the killed one left on disk.
    const app = await buildTestApp({ databaseUrl: `file:${databaseFile}` });
    const get = async <T>(url: string) => {
      const response = await app.inject({ method: "GET", url, headers: bearer(student) });
      expect(response.statusCode, url).toBe(200);
      return response.json<T>();
    };
    for (const sessionId of sessions) {
      const log = await get<{ commands: Array<{ index: number; command: string; output: string }>; total: number }>(`/api/sessions/${sessionId}/commands?limit=1000`);
      const byIndex = new Map(log.commands.map((c) => [c.index, c]));
      for (const ack of acks.filter((a) => a.sessionId === sessionId)) {
        expect(byIndex.get(ack.index)).toMatchObject({ command: ack.command, output: ack.output });
      }
      // The log has no holes: indexes 0..total-1.
      expect(log.commands.map((c) => c.index)).toEqual(log.commands.map((_, i) => i));
      expect(log.total).toBe(log.commands.length);

      const state = await get<{ hosts: Array<{ namespaces: Array<{ name: string; routes: Array<{ dst: string }> }> }> }>(`/api/sessions/${sessionId}/state`);
      const routes = new Set(state.hosts[0]?.namespaces.find((ns) => ns.name === "nginx-1")?.routes.map((r) => r.dst));
      for (const c of log.commands) expect(routes).toContain(c.command.split(" ")[3]);

      const next = await runCommand(app, student, sessionId, "node1", "ip link");
      expect(next.index).toBe(log.total);
    }
  }, 60_000);
});
