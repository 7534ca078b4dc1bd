/**
 * A session of a shipped lab on the real app, for route tests: made through
 * the REST routes (a student token, then POST /api/sessions), with shortcuts
 * to run commands and read the stored trace as a client would.
 */
import type { LightMyRequestResponse } from "fastify";
import type { App } from "../../server/app.js";
import { type TraceEvent } from "../../server/engine/index.js";
import { bearer, buildTestApp, createToken, runCommand, startSession, type TestAppOptions } from "./build-app.js";

export interface LabSession {
  app: App;
  id: string;
  /** The owner's (a student's) token. */
  token: string;
  /** GET with the owner's token, another token, or none (null). */
  get(url: string, token?: string | null): Promise<LightMyRequestResponse>;
  run(host: string, namespace: string | undefined, command: string): Promise<void>;
  /** The session's whole stored trace, through GET /api/sessions/:id/events. */
  events(): Promise<TraceEvent[]>;
  /** A token of another student, who may not use this session. */
  otherStudentToken(): Promise<string>;
}

export async function startLabSession(labId: string, options: TestAppOptions = {}): Promise<LabSession> {
  return labSessionOn(await buildTestApp(options), labId);
}

/** The same on an app the caller built (a shared one): the owner is "Li Wei", so once per app. */
export async function labSessionOn(app: App, labId: string): Promise<LabSession> {
  const owner = await createToken(app, "Li Wei");
  const id = await startSession(app, owner.token, labId);
  return {
    app,
    id,
    token: owner.token,
    get: (url, token = owner.token) => app.inject({ method: "GET", url, headers: token === null ? {} : bearer(token) }),
    run: async (host, namespace, command) => {
      await runCommand(app, owner.token, id, host, command, namespace);
    },
    events: async () => {
      const events: TraceEvent[] = [];
      for (let from = 0; ; ) {
        const page = (await app.inject({ method: "GET", url: `/api/sessions/${id}/events?from=${from}&limit=1000`, headers: bearer(owner.token) })).json<{ events: TraceEvent[]; next: number; nextSeq: number }>();
        events.push(...page.events);
        if (page.next >= page.nextSeq || page.events.length === 0) return events;
        from = page.next;
      }
    },
    otherStudentToken: async () => (await createToken(app, "Zhang San")).token,
  };
}
