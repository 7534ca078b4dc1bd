/**
 * The session REST API, route by route: starting, listing, reading and
 * deleting sessions; running commands and reading the log, the network state
 * and the trace; and each route's errors in the error shape.
 */
import { describe, expect, it } from "vitest";
import { Engine, type NetworkState, type TraceEvent } from "../../server/engine/index.js";
import { bearer, buildTestApp, createToken, runCommand, startSession, TEST_INSTRUCTOR_TOKEN } from "../helpers/build-app.js";
import { execSql } from "../helpers/raw-sql.js";

const instructor = bearer(TEST_INSTRUCTOR_TOKEN);
const PING = "ping -c 1 172.17.0.3";

async function setup() {
  const app = await buildTestApp();
  const alice = await createToken(app, "Alice");
  const bob = await createToken(app, "Bob");
  return { app, alice, bob };
}

describe("POST /api/sessions", () => {
  it("starts a session of a lab for the caller: 201 with its id, owner, seed, and nothing run yet", async () => {
    const { app, alice } = await setup();
    const response = await app.inject({ method: "POST", url: "/api/sessions", headers: bearer(alice.token), payload: { labId: "bridge-two-containers" } });

    expect(response.statusCode).toBe(201);
    const session = response.json<Record<string, unknown>>();
    expect(session).toMatchObject({
      labId: "bridge-two-containers",
      owner: { id: alice.id, name: "Alice" },
      startTime: 0,
      commandCount: 0,
      nextSeq: 0,
      lastCommandAt: null,
      live: true,
    });
    expect(session["id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(session["seed"]).toEqual(expect.any(Number));
    expect(Date.parse(String(session["createdAt"]))).not.toBeNaN();
  });

  it("answers an unknown lab with 404 LAB_NOT_FOUND and a malformed body with 400", async () => {
    const { app, alice } = await setup();
    const unknown = await app.inject({ method: "POST", url: "/api/sessions", headers: bearer(alice.token), payload: { labId: "no-such-lab" } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: { code: "LAB_NOT_FOUND", message: 'No lab with id "no-such-lab"' } });

    const missing = await app.inject({ method: "POST", url: "/api/sessions", headers: bearer(alice.token), payload: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.json().error.code).toBe("VALIDATION_ERROR");
  });
});

describe("GET /api/sessions", () => {
  it("lists the caller's own sessions, newest first; an instructor sees everyone's, filterable by lab and by student", async () => {
    const { app, alice, bob } = await setup();
    const a1 = await startSession(app, alice.token, "bridge-two-containers");
    const a2 = await startSession(app, alice.token, "host-network");
    const b1 = await startSession(app, bob.token, "host-network");

    const own = (await app.inject({ method: "GET", url: "/api/sessions", headers: bearer(alice.token) })).json<{ sessions: Array<{ id: string }>; total: number }>();
    expect(own.sessions.map((s) => s.id)).toEqual([a2, a1]);
    expect(own.total).toBe(2);

    const all = (await app.inject({ method: "GET", url: "/api/sessions", headers: instructor })).json<{ sessions: Array<{ id: string }>; total: number }>();
    expect(all.sessions.map((s) => s.id)).toEqual([b1, a2, a1]);

    const byLab = (await app.inject({ method: "GET", url: "/api/sessions?labId=host-network", headers: instructor })).json<{ sessions: Array<{ id: string }> }>();
    expect(byLab.sessions.map((s) => s.id)).toEqual([b1, a2]);
    const byStudent = (await app.inject({ method: "GET", url: `/api/sessions?ownerId=${bob.id}`, headers: instructor })).json<{ sessions: Array<{ id: string }> }>();
    expect(byStudent.sessions.map((s) => s.id)).toEqual([b1]);

    const page = (await app.inject({ method: "GET", url: "/api/sessions?limit=1&offset=1", headers: instructor })).json<{ sessions: Array<{ id: string }>; total: number }>();
    expect(page).toMatchObject({ sessions: [{ id: a2 }], total: 3 });

    // A student asking for someone else's sessions gets none of them.
    const peek = (await app.inject({ method: "GET", url: `/api/sessions?ownerId=${bob.id}`, headers: bearer(alice.token) })).json<{ total: number }>();
    expect(peek.total).toBe(0);
  });

  it("rejects a limit out of range with 400", async () => {
    const { app, alice } = await setup();
    const response = await app.inject({ method: "GET", url: "/api/sessions?limit=0", headers: bearer(alice.token) });
    expect(response.statusCode).toBe(400);
  });
});

describe("GET and DELETE /api/sessions/:id", () => {
  it("returns the session with its counters after commands", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    const answer = await runCommand(app, alice.token, id, "node1", PING, "nginx-1");

    const response = await app.inject({ method: "GET", url: `/api/sessions/${id}`, headers: bearer(alice.token) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id, commandCount: 1, nextSeq: answer.events.to, lastCommandAt: expect.any(String) });
  });

  it("deletes the session and its log: 204, then 404 SESSION_NOT_FOUND", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    await runCommand(app, alice.token, id, "node1", "ip route", "nginx-1");

    const deleted = await app.inject({ method: "DELETE", url: `/api/sessions/${id}`, headers: bearer(alice.token) });
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe("");
    expect(await app.prisma.sessionCommand.count({ where: { sessionId: id } })).toBe(0);

    const again = await app.inject({ method: "GET", url: `/api/sessions/${id}`, headers: bearer(alice.token) });
    expect(again.statusCode).toBe(404);
    expect(again.json()).toEqual({ error: { code: "SESSION_NOT_FOUND", message: `No session with id "${id}"` } });
    const command = await app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(alice.token), payload: { host: "node1", command: "ip route" } });
    expect(command.statusCode).toBe(404);
  });

  it("answers an id that is not a UUID with 400 VALIDATION_ERROR", async () => {
    const { app, alice } = await setup();
    const response = await app.inject({ method: "GET", url: "/api/sessions/not-a-uuid", headers: bearer(alice.token) });
    expect(response.statusCode).toBe(400);
    expect(response.json().error.code).toBe("VALIDATION_ERROR");
  });
});

describe("POST /api/sessions/:id/commands", () => {
  it("runs the command in the session's network and answers with its output, exit code and event range", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);

    const ping = await runCommand(app, alice.token, id, "node1", PING, "nginx-1");
    expect(ping).toMatchObject({ index: 0, exitCode: 0, at: 0, events: { from: 0 } });
    expect(ping.output).toContain("1 packets transmitted, 1 received");
    expect(ping.events.to).toBeGreaterThan(10);

    // The second ping finds ARP resolved: fewer events, numbered on from the first's.
    const again = await runCommand(app, alice.token, id, "node1", PING, "nginx-1");
    expect(again.index).toBe(1);
    expect(again.events.from).toBe(ping.events.to);
    expect(again.events.to - again.events.from).toBeLessThan(ping.events.to - ping.events.from);
    expect(again.at).toBeGreaterThanOrEqual(ping.time);
  });

  it("gives the same outputs and events as the engine run by hand with the session's seed and times", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    const commands = [
      { host: "node1", namespace: "nginx-1", command: PING },
      { host: "node1", command: "docker ps" },
      { host: "node1", command: "bridge fdb show br docker0" },
    ];
    const answers = [];
    for (const c of commands) answers.push(await runCommand(app, alice.token, id, c.host, c.command, c.namespace));

    const { topology, seed, startTime, commands: logged } = await app.sessions.replayInputs(id);
    const engine = Engine.create(topology, { seed, startTime });
    if (!(engine instanceof Engine)) throw new Error("topology");
    const replayed = logged.map((c) => engine.run({ ...c, namespace: c.namespace ?? undefined }, c.interruption ?? null));
    expect(replayed.map((r) => [r.output, r.exitCode])).toEqual(answers.map((a) => [a.output, a.exitCode]));
    const stored = (await app.sessionManager.eventsSince(id, 0, 10_000)).map((e) => JSON.parse(e.json) as TraceEvent);
    expect(stored).toEqual(JSON.parse(JSON.stringify(replayed.flatMap((r) => r.events))));
  });

  it("logs a command the shell rejects like any other: the student typed it", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    const answer = await runCommand(app, alice.token, id, "node1", "nosuchcmd --flag");
    expect(answer).toMatchObject({ index: 0, exitCode: 127, events: { from: 0, to: 0 } });
    expect(answer.output).toContain("command not found");
    expect(await app.prisma.sessionCommand.count({ where: { sessionId: id } })).toBe(1);
  });

  it("refuses an unknown host or namespace with 404 before running anything, so nothing is logged", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    const post = (payload: object) => app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(alice.token), payload });

    const host = await post({ host: "node9", command: "ip route" });
    expect(host.statusCode).toBe(404);
    expect(host.json()).toEqual({ error: { code: "UNKNOWN_HOST", message: 'This lab has no host "node9" (hosts: node1)' } });

    const namespace = await post({ host: "node1", namespace: "nginx-9", command: "ip route" });
    expect(namespace.statusCode).toBe(404);
    expect(namespace.json().error).toMatchObject({ code: "UNKNOWN_NAMESPACE", message: expect.stringContaining('Host "node1" has no namespace "nginx-9" (it has: root, ') });

    expect(await app.prisma.sessionCommand.count({ where: { sessionId: id } })).toBe(0);
  });

  it("refuses a command over 1000 characters with 400 COMMAND_TOO_LONG, and an empty one with 400 VALIDATION_ERROR", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    const post = (payload: object) => app.inject({ method: "POST", url: `/api/sessions/${id}/commands`, headers: bearer(alice.token), payload });

    const long = await post({ host: "node1", command: `echo ${"x".repeat(1000)}` });
    expect(long.statusCode).toBe(400);
    expect(long.json()).toEqual({ error: { code: "COMMAND_TOO_LONG", message: "The command is longer than 1000 characters" } });
    expect((await post({ host: "node1", command: "x".repeat(1000) })).statusCode).toBe(200);

    const empty = await post({ host: "node1", command: "" });
    expect(empty.statusCode).toBe(400);
    expect(empty.json().error).toMatchObject({ code: "VALIDATION_ERROR", details: [{ in: "body", path: "/command", message: expect.any(String) }] });
  });

  it("answers 500 COMMAND_NOT_RECORDED when the row cannot be written, and forgets the command: the network is as the log says", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    await runCommand(app, alice.token, id, "node1", "ip route add 10.1.0.0/16 via 172.17.0.1", "nginx-1");
    const before = (await app.inject({ method: "GET", url: `/api/sessions/${id}/state`, headers: bearer(alice.token) })).json();

    await execSql(app.database, {
      sqlite: `CREATE TRIGGER "test_full_disk" BEFORE INSERT ON "SessionCommand" BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`,
      postgresql: `CREATE FUNCTION "test_full_disk"() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'could not extend file: No space left on device'; END $$;
        CREATE TRIGGER "test_full_disk" BEFORE INSERT ON "SessionCommand" FOR EACH ROW EXECUTE FUNCTION "test_full_disk"()`,
    });
    const failed = await app.inject({
      method: "POST",
      url: `/api/sessions/${id}/commands`,
      headers: bearer(alice.token),
      payload: { host: "node1", namespace: "nginx-1", command: "ip route add 10.2.0.0/16 via 172.17.0.1" },
    });
    expect(failed.statusCode).toBe(500);
    expect(failed.json()).toEqual({ error: { code: "COMMAND_NOT_RECORDED", message: "The command could not be recorded, so it did not happen; send it again" } });
    await execSql(app.database, {
      sqlite: `DROP TRIGGER "test_full_disk"`,
      postgresql: `DROP TRIGGER "test_full_disk" ON "SessionCommand"; DROP FUNCTION "test_full_disk"()`,
    });

    const after = (await app.inject({ method: "GET", url: `/api/sessions/${id}/state`, headers: bearer(alice.token) })).json();
    expect(after).toEqual(before);
    const retried = await runCommand(app, alice.token, id, "node1", "ip route add 10.2.0.0/16 via 172.17.0.1", "nginx-1");
    expect(retried.index).toBe(1);
  });
});

describe("GET /api/sessions/:id/commands", () => {
  it("returns the log in order, paged, with what each command answered", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    const a = await runCommand(app, alice.token, id, "node1", PING, "nginx-1");
    await runCommand(app, alice.token, id, "node1", "docker ps");
    await runCommand(app, alice.token, id, "node1", "ip link");

    const all = (await app.inject({ method: "GET", url: `/api/sessions/${id}/commands`, headers: bearer(alice.token) })).json<{
      commands: Array<Record<string, unknown>>;
      total: number;
      next: number;
    }>();
    expect(all.total).toBe(3);
    expect(all.next).toBe(3);
    expect(all.commands.map((c) => c["command"])).toEqual([PING, "docker ps", "ip link"]);
    expect(all.commands[0]).toEqual({
      index: 0,
      host: "node1",
      namespace: "nginx-1",
      command: PING,
      output: a.output,
      exitCode: 0,
      at: 0,
      events: a.events,
      interruption: null,
      createdAt: expect.any(String),
    });
    expect(all.commands[1]?.["namespace"]).toBeNull();

    const page = (await app.inject({ method: "GET", url: `/api/sessions/${id}/commands?from=1&limit=1`, headers: bearer(alice.token) })).json<{
      commands: Array<{ index: number }>;
      next: number;
    }>();
    expect(page.commands.map((c) => c.index)).toEqual([1]);
    expect(page.next).toBe(2);
  });
});

describe("GET /api/sessions/:id/state", () => {
  it("shows per host and namespace the interfaces, addresses, routes, neighbours, bridge FDBs and sockets", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    await runCommand(app, alice.token, id, "node1", PING, "nginx-1");

    const response = await app.inject({ method: "GET", url: `/api/sessions/${id}/state`, headers: bearer(alice.token) });
    expect(response.statusCode).toBe(200);
    const state = response.json<{
      time: number;
      hosts: Array<{ name: string; namespaces: Array<{ name: string; interfaces: Array<{ name: string; addresses: string[] }>; neighbours: Array<{ ip: string; state: string }>; bridges: Array<{ name: string; fdb: unknown[] }>; routes: unknown[]; sockets: unknown[] }> }>;
    }>();
    const node1 = state.hosts.find((h) => h.name === "node1");
    const nginx1 = node1?.namespaces.find((ns) => ns.name === "nginx-1");
    expect(nginx1?.interfaces.find((i) => i.name === "eth0")?.addresses).toEqual(["172.17.0.2/16"]);
    expect(nginx1?.neighbours).toEqual([expect.objectContaining({ ip: "172.17.0.3", state: "REACHABLE" })]);
    const root = node1?.namespaces.find((ns) => ns.name === "root");
    expect(root?.bridges.find((b) => b.name === "docker0")?.fdb.length).toBeGreaterThanOrEqual(2);
    expect(nginx1?.routes.length).toBeGreaterThan(0);
    expect(Array.isArray(nginx1?.sockets)).toBe(true);
  });

  it("shows per namespace the conntrack entries and the iptables chains with each rule's counters, as conntrack -L and iptables -L -v -x count them", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token, "container-to-other-host");
    await runCommand(app, alice.token, id, "node1", "ping -c 1 10.168.0.3", "nginx-1");

    const state = (await app.inject({ method: "GET", url: `/api/sessions/${id}/state`, headers: bearer(alice.token) })).json<NetworkState>();
    const root = state.hosts.find((h) => h.name === "node1")?.namespaces.find((ns) => ns.name === "root");
    // The ping left through eth0, masqueraded: one flow, its reply addressed to node1's own address.
    expect(root?.conntrack).toEqual([
      expect.objectContaining({
        protocol: "icmp",
        orig: expect.objectContaining({ src: "172.17.0.2", dst: "10.168.0.3" }),
        reply: expect.objectContaining({ src: "10.168.0.3", dst: "10.168.0.2" }),
        state: null,
        seenReply: true,
      }),
    ]);
    const conntrackL = await runCommand(app, alice.token, id, "node1", "conntrack -L");
    expect(conntrackL.output.split("\n")[0]).toBe(root?.conntrack[0]?.text);

    // Only a flow's first packet walks the nat table: the MASQUERADE rule matched one 84-byte echo request.
    const postrouting = root?.iptables.find((c) => c.table === "nat" && c.chain === "POSTROUTING");
    const masquerade = postrouting?.rules.find((r) => r.spec.includes("-j MASQUERADE"));
    expect(masquerade).toEqual({ spec: "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE", packets: 1, bytes: 84 });
    expect(postrouting?.policy).toEqual(expect.objectContaining({ target: "ACCEPT" }));
    expect(root?.iptables.find((c) => c.table === "nat" && c.chain === "DOCKER")?.policy).toBeNull();
    const listed = await runCommand(app, alice.token, id, "node1", "iptables -t nat -L POSTROUTING -v -x -n");
    expect(listed.output).toMatch(/^\s+1\s+84 MASQUERADE/m);

    // A namespace without rules still has its built-in chains, with their policies.
    const nginx1 = state.hosts.find((h) => h.name === "node1")?.namespaces.find((ns) => ns.name === "nginx-1");
    expect(nginx1?.iptables.map((c) => `${c.table}/${c.chain}`)).toEqual(["filter/INPUT", "filter/FORWARD", "filter/OUTPUT", "nat/PREROUTING", "nat/INPUT", "nat/OUTPUT", "nat/POSTROUTING"]);
    expect(nginx1?.iptables.every((c) => c.rules.length === 0)).toBe(true);
  });
});

describe("GET /api/sessions/:id/events", () => {
  async function withTrace() {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    await runCommand(app, alice.token, id, "node1", PING, "nginx-1");
    await runCommand(app, alice.token, id, "node1", "docker ps");
    await runCommand(app, alice.token, id, "node1", "ping -c 2 172.17.0.2", "nginx-2");
    const all = (await app.sessionManager.eventsSince(id, 0, 100_000)).map((e) => JSON.parse(e.json) as TraceEvent);
    const get = async (query: string) => {
      const response = await app.inject({ method: "GET", url: `/api/sessions/${id}/events?${query}`, headers: bearer(alice.token) });
      expect(response.statusCode).toBe(200);
      expect(response.headers["content-type"]).toMatch(/^application\/json/);
      return response.json<{ events: TraceEvent[]; next: number; nextSeq: number }>();
    };
    return { get, all };
  }

  it("returns the stored trace in seq order, every event once, whatever the page size", async () => {
    const { get, all } = await withTrace();
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i));

    const whole = await get("");
    expect(whole).toEqual({ events: all, next: all.length, nextSeq: all.length });

    for (const limit of [1, 7, 50]) {
      const seen: TraceEvent[] = [];
      let from = 0;
      for (;;) {
        const page = await get(`from=${from}&limit=${limit}`);
        seen.push(...page.events);
        expect(page.events.length).toBeLessThanOrEqual(limit);
        if (page.next === page.nextSeq) break;
        from = page.next;
      }
      expect(seen).toEqual(all);
    }
  });

  it("filters by host, device and kind, paging over what matches", async () => {
    const { get, all } = await withTrace();
    const arp = await get("kind=arp-request");
    expect(arp.events).toEqual(all.filter((e) => e.kind === "arp-request"));
    expect(arp.events.length).toBeGreaterThan(0);

    const eth0 = await get("device=eth0&limit=3");
    expect(eth0.events).toEqual(all.filter((e) => e.device === "eth0").slice(0, 3));
    expect(eth0.next).toBe(eth0.events[2]!.seq + 1);

    expect((await get("host=node1")).events).toEqual(all);
    expect((await get("host=node2")).events).toEqual([]);
  });

  it("rejects an unknown kind and a limit out of range with 400", async () => {
    const { app, alice } = await setup();
    const id = await startSession(app, alice.token);
    for (const query of ["kind=teleport", "limit=0", "limit=5001", "from=-1"]) {
      const response = await app.inject({ method: "GET", url: `/api/sessions/${id}/events?${query}`, headers: bearer(alice.token) });
      expect(response.statusCode).toBe(400);
    }
  });
});
