/**
 * Nothing acknowledged is lost: the real server, killed with SIGKILL in the
 * middle of a burst of commands, restarts on the same database with every
 * command it answered 200 in the log, in place, and in the network state.
 *
 * The kill does not wait on luck. Each session keeps WINDOW commands in
 * flight, sending the next only when one is answered, and the server is
 * killed the moment the KILL_AFTER-th answer arrives: at that instant exactly
 * SESSIONS × WINDOW − 1 commands are sent and unanswered, and no more are
 * sent. Those may or may not have been committed; the test holds the log to
 * what the client knows either way (every answered command is there, nothing
 * that was never sent is, no holes), however fast the server happens to be.
 */
import path from "node:path";
import { describe, expect, it } from "vitest";
import { bearer, buildTestApp, runCommand } from "../helpers/build-app.js";
import { runMain } from "../helpers/run-main.js";
import { tempDir } from "../helpers/temp-dir.js";

const SESSIONS = 4;
const PER_SESSION = 50;
/** Commands each session has sent and not yet seen answered, until the kill. */
const WINDOW = 4;
/** Kill once this many commands have been answered: well inside the burst (no session can have run out of commands). */
const KILL_AFTER = 25;
const IN_FLIGHT_AT_KILL = SESSIONS * WINDOW - 1;

interface Ack {
  command: string;
  index: number;
  output: string;
}

async function call<T>(baseUrl: string, token: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${baseUrl}${url}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const routeOf = (command: string) => command.split(" ")[3]!;

describe("kill -9 in the middle of a burst", () => {
  it("loses no acknowledged command: each is in the log at its index with its output, and in the rebuilt state", async () => {
    const databaseFile = path.join(await tempDir(), "data", "cnlab.db");
    // No CNLAB_INSTRUCTOR_TOKEN (runMain passes none, whatever the shell has): the first start generates one and prints it once.
    const server = runMain({ PORT: "0", DATABASE_URL: `file:${databaseFile}`, LOG_LEVEL: "info", CNLAB_COMMAND_RATE: "100000" });
    const baseUrl = await server.listening;
    const announced = server.plainLines.find((line) => line.startsWith("cnlab: instructor token: "));
    expect(announced, server.plainLines.join("\n")).toBeDefined();
    const instructor = announced!.slice("cnlab: instructor token: ".length);

    const student = (await call<{ token: string }>(baseUrl, instructor, "POST", "/api/tokens", { name: "Burst" })).body.token;
    const sessions: string[] = [];
    for (let s = 0; s < SESSIONS; s++) sessions.push((await call<{ id: string }>(baseUrl, student, "POST", "/api/sessions", { labId: "bridge-two-containers" })).body.id);

    const sent = sessions.map(() => new Set<string>());
    const acks = sessions.map((): Ack[] => []);
    const refused: string[] = [];
    let answered = 0;
    let inFlightAtKill = -1;
    const inFlight = () => sent.reduce((n, s) => n + s.size, 0) - answered;

    /** One of a session's WINDOW senders: takes the session's next command, sends it, waits for the answer, again. */
    const sender = async (s: number, next: { i: number }) => {
      while (inFlightAtKill < 0 && next.i < PER_SESSION) {
        const command = `ip route add 10.${s}.${next.i++}.0/24 via 172.17.0.1`;
        sent[s]!.add(command);
        let answer: { status: number; body: { index: number; output: string } };
        try {
          answer = await call(baseUrl, student, "POST", `/api/sessions/${sessions[s]}/commands`, { host: "node1", namespace: "nginx-1", command });
        } catch (err) {
          // Only the kill may cut a request off; before it, a failed request is a failure.
          if (inFlightAtKill < 0) throw err;
          return;
        }
        // Any answer the server gave (before or after the kill was sent) is an answer: it must be 200.
        if (answer.status !== 200) refused.push(`${command}: ${answer.status} ${JSON.stringify(answer.body)}`);
        else acks[s]!.push({ command, index: answer.body.index, output: answer.body.output });
        answered++;
        if (answered === KILL_AFTER) {
          inFlightAtKill = inFlight();
          server.child.kill("SIGKILL");
        }
      }
    };
    await Promise.all(sessions.flatMap((_, s) => {
      const next = { i: 0 };
      return Array.from({ length: WINDOW }, () => sender(s, next));
    }));
    await server.exited;

    expect(refused).toEqual([]);
    expect(server.child.signalCode).toBe("SIGKILL");
    expect(inFlightAtKill).toBe(IN_FLIGHT_AT_KILL);
    // Answers already on their way when the kill landed still arrive; nothing sent later exists.
    const acked = acks.flat().length;
    expect(acked).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acked).toBeLessThanOrEqual(KILL_AFTER + IN_FLIGHT_AT_KILL);
    expect(sent.reduce((n, s) => n + s.size, 0)).toBe(KILL_AFTER + IN_FLIGHT_AT_KILL);

    // The restart runs in this process on the same file: what matters is what the killed one left on disk.
    const app = await buildTestApp({ databaseUrl: `file:${databaseFile}` });
    const get = async <T>(url: string) => {
      const response = await app.inject({ method: "GET", url, headers: bearer(student) });
      expect(response.statusCode, url).toBe(200);
      return response.json<T>();
    };
    for (const [s, sessionId] of sessions.entries()) {
      const log = await get<{ commands: Array<{ index: number; command: string; output: string }>; total: number }>(`/api/sessions/${sessionId}/commands?limit=1000`);
      const logged = log.commands.map((c) => c.command);
      // The log has no holes: indexes 0..total-1.
      expect(log.commands.map((c) => c.index)).toEqual(log.commands.map((_, i) => i));
      expect(log.total).toBe(log.commands.length);
      // Every answered command is there, at the index and with the output it was answered with…
      const byIndex = new Map(log.commands.map((c) => [c.index, c]));
      for (const ack of acks[s]!) expect(byIndex.get(ack.index)).toMatchObject({ command: ack.command, output: ack.output });
      // …and besides them only commands that were sent, each once: in flight at the kill, committed but not yet answered.
      expect(new Set(logged).size).toBe(logged.length);
      for (const command of logged) expect(sent[s]!.has(command), command).toBe(true);
      expect(logged.length).toBeGreaterThanOrEqual(acks[s]!.length);

      // The rebuilt network has exactly the logged routes: none lost, none from a command that did not commit.
      const state = await get<{ hosts: Array<{ namespaces: Array<{ name: string; routes: Array<{ dst: string }> }> }> }>(`/api/sessions/${sessionId}/state`);
      const routes = state.hosts[0]?.namespaces.find((ns) => ns.name === "nginx-1")?.routes.map((r) => r.dst) ?? [];
      expect(routes.filter((dst) => dst.startsWith("10.")).sort()).toEqual(logged.map(routeOf).sort());

      const next = await runCommand(app, student, sessionId, "node1", "ip link");
      expect(next.index).toBe(log.total);
    }
  });
});
