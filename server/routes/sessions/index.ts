/**
 * The session REST API: start, list, look at and delete sessions; run
 * commands and read the command log, the network state and the trace.
 * Every route needs a token (plugins/auth.ts); each one about a session first
 * asks the session service whether the caller may use it (404 / 403). The
 * trace WebSocket and pcap export are registered beside these, by their own files.
 */
import type { FastifyPluginAsyncTypebox } from "@fastify/type-provider-typebox";
import { HttpError } from "../../http/http-error.js";
import { schemaErrorFormatter } from "../../http/schema-error.js";
import { perToken } from "../../plugins/rate-limits.js";
import type { SessionRow } from "../../sessions/session-repository.js";
import {
  createSessionSchema,
  deleteSessionSchema,
  getSessionSchema,
  listCommandsSchema,
  listEventsSchema,
  listSessionsSchema,
  MAX_COMMAND_LENGTH,
  runCommandSchema,
  stateSchema,
  type SessionView,
} from "./schema.js";
import { sessionView } from "./session-view.js";

export interface SessionRoutesOptions {
  /** Commands per second per token. */
  commandRate: number;
  /** Sessions started per minute per token. */
  sessionRate: number;
}

const commandTooLong = schemaErrorFormatter([
  {
    in: "body",
    path: "/command",
    keyword: "maxLength",
    error: () => new HttpError(400, "COMMAND_TOO_LONG", `The command is longer than ${MAX_COMMAND_LENGTH} characters`),
  },
]);

const sessionRoutes: FastifyPluginAsyncTypebox<SessionRoutesOptions> = async (app, options) => {
  const manager = app.sessionManager;
  const view = (row: SessionRow): SessionView => sessionView(row, manager.isLive(row.id));

  app.post("/", { schema: createSessionSchema, config: { rateLimit: perToken(options.sessionRate, "minute", "new sessions") } }, async (request, reply) => {
    const row = await manager.create(await app.authenticate(request), request.body.labId);
    return reply.code(201).send(view(row));
  });

  app.get("/", { schema: listSessionsSchema }, async (request) => {
    const { sessions, total } = await manager.list(await app.authenticate(request), request.query);
    return { sessions: sessions.map(view), total };
  });

  app.get("/:id", { schema: getSessionSchema }, async (request) => {
    await app.sessions.authorize(await app.authenticate(request), request.params.id);
    return view(await manager.get(request.params.id));
  });

  app.delete("/:id", { schema: deleteSessionSchema }, async (request, reply) => {
    const principal = await app.authenticate(request);
    await app.sessions.authorize(principal, request.params.id);
    // A student may not delete an archived or graded session (409); instructors may delete any.
    await app.retention.assertDeletable(principal, request.params.id);
    await manager.delete(request.params.id);
    return reply.code(204).send(null);
  });

  app.post(
    "/:id/commands",
    {
      schema: runCommandSchema,
      schemaErrorFormatter: commandTooLong,
      // Runs where the session's simulator is: another instance forwards it there (plugins/cluster.ts).
      config: { rateLimit: perToken(options.commandRate, "second", "commands"), sessionOwner: true },
    },
    async (request) => {
      // The hot path: a known token and a session seen lately are checked without a round trip.
      const principal = request.principal ?? (await app.authenticate(request));
      if (manager.authorizeCached(principal, request.params.id) === undefined) await manager.authorize(principal, request.params.id);
      return manager.runCommand(request.params.id, request.body);
    },
  );

  app.get("/:id/commands", { schema: listCommandsSchema }, async (request) => {
    await app.sessions.authorize(await app.authenticate(request), request.params.id);
    const { from, limit } = request.query;
    const [row, commands] = await Promise.all([manager.get(request.params.id), manager.commands(request.params.id, from, limit)]);
    return {
      commands: commands.map((c) => ({
        index: c.index,
        host: c.host,
        namespace: c.namespace,
        command: c.command,
        output: c.output,
        exitCode: c.exitCode,
        at: c.at,
        events: { from: c.eventsFrom, to: c.eventsTo },
        interruption: c.interruption,
        createdAt: c.createdAt.toISOString(),
      })),
      total: row.commandCount,
      next: commands.length === 0 ? Math.max(from, row.commandCount) : commands.at(-1)!.index + 1,
    };
  });

  // The state is built in the session's worker and can be megabytes: as often as commands, not more.
  app.get("/:id/state", { schema: stateSchema, config: { rateLimit: perToken(options.commandRate, "second", "state requests"), sessionOwner: true } }, async (request, reply) => {
    await app.sessions.authorize(await app.authenticate(request), request.params.id);
    // The worker wrote the JSON (and refused it past the size limit: 413); it goes out as is.
    const json = await manager.state(request.params.id);
    return reply.type("application/json; charset=utf-8").send(json as never);
  });

  app.get("/:id/events", { schema: listEventsSchema }, async (request, reply) => {
    await app.sessions.authorize(await app.authenticate(request), request.params.id);
    const { from, limit, host, device, kind } = request.query;
    const page = await manager.eventsPage(request.params.id, from, limit, { host, device, kind });
    // The events are stored as JSON already: the body is assembled, not re-serialised
    // (a string with a JSON content type goes out as is; the schema documents its shape).
    const body = `{"events":${page.eventsJson},"next":${page.next},"nextSeq":${page.nextSeq}}`;
    return reply.type("application/json; charset=utf-8").send(body as never);
  });
};

export default sessionRoutes;
