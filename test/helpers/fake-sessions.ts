/**
 * An in-memory SessionService for trace-stream and route tests: sessions hold
 * a topology, an engine and their stored events; `run` runs a command the way
 * the real service does (store, then publish), and `publish` pushes made-up
 * batches. `fakeSessionsPlugin` decorates an app with it and with a bearer
 * token check, for route tests that need limits the real app does not take.
 */
import type { TypeBoxTypeProvider } from "@fastify/type-provider-typebox";
import websocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import fp from "fastify-plugin";
import { onTestFinished } from "vitest";
import { DEFAULT_LIMITS, Engine, type ReplayCommand, type TopologySpec, type TraceEvent } from "../../server/engine/index.js";
import { HttpError } from "../../server/http/http-error.js";
import type { Principal, SessionListener, SessionRecord, SessionService } from "../../server/sessions/session-service.js";
import type { TraceSource } from "../../server/sessions/trace-stream.js";
import errorHandler from "../../server/plugins/error-handler.js";
import traceRoutes, { type TraceRouteOptions } from "../../server/routes/sessions/trace.js";
import { loadLab } from "../engine/helpers/lab-engine.js";

interface FakeSession {
  record: SessionRecord;
  topology: TopologySpec;
  seed: number;
  startTime: number;
  engine: Engine;
  events: TraceEvent[];
  commands: ReplayCommand[];
  listeners: Set<SessionListener>;
  deleteListeners: Set<() => void>;
}

export class FakeSessions implements SessionService {
  private readonly sessions = new Map<string, FakeSession>();
  /** Milliseconds each eventsSince waits, so tests can commit while a replay reads. */
  readDelayMs = 0;
  /** Called on every eventsSince, before it answers. */
  onRead: (id: string, fromSeq: number) => void = () => {};
  /** token → principal */
  readonly tokens = new Map<string, Principal>();

  create(id: string, owner: Principal, topology: TopologySpec, options: { seed?: number; startTime?: number } = {}): SessionRecord {
    const seed = options.seed ?? 1;
    const startTime = options.startTime ?? 0;
    const engine = Engine.create(topology, { seed, startTime });
    if (!(engine instanceof Engine)) throw new Error(`invalid topology: ${JSON.stringify(engine.issues)}`);
    const record: SessionRecord = { id, labId: "test-lab", ownerId: owner.id, ownerName: owner.name, createdAt: new Date(0) };
    this.sessions.set(id, { record, topology, seed, startTime, engine, events: [], commands: [], listeners: new Set(), deleteListeners: new Set() });
    return record;
  }

  /** Runs a command like the real service: the engine, then the store, then the listeners. */
  run(id: string, host: string, namespace: string | undefined, command: string): TraceEvent[] {
    const s = this.get(id);
    const at = s.engine.now;
    const result = s.engine.run({ host, ...(namespace === undefined ? {} : { namespace }), command, at });
    s.commands.push({ host, namespace, command, at });
    this.commit(s, result.events);
    return result.events;
  }

  /** Stores and publishes made-up events (seq continues from the store's end). */
  publish(id: string, count: number, make: (seq: number) => Partial<TraceEvent> = () => ({})): TraceEvent[] {
    const s = this.get(id);
    const events: TraceEvent[] = [];
    for (let i = 0; i < count; i++) {
      const seq = s.events.length + i;
      events.push({ seq, time: seq, host: "node1", namespace: "root", device: "eth0", packetId: null, layers: null, summary: `event ${seq}`, kind: "drop", reason: "no-route", detail: "", ...make(seq) } as TraceEvent);
    }
    this.commit(s, events);
    return events;
  }

  /** Stores without publishing: a commit whose notification has not gone out yet. */
  storeOnly(id: string, count: number): TraceEvent[] {
    const before = this.get(id).listeners;
    const saved = new Set(before);
    before.clear();
    try {
      return this.publish(id, count);
    } finally {
      for (const l of saved) before.add(l);
    }
  }

  /** Publishes events already stored (a late notification). */
  notify(id: string, events: TraceEvent[]): void {
    for (const l of [...this.get(id).listeners]) l(events);
  }

  onDelete(id: string, listener: () => void): () => void {
    const s = this.get(id);
    s.deleteListeners.add(listener);
    return () => s.deleteListeners.delete(listener);
  }

  /** Deletes a session the way the real service does: gone from the store, then its delete listeners called. */
  delete(id: string): void {
    const s = this.get(id);
    this.sessions.delete(id);
    for (const l of [...s.deleteListeners]) l();
  }

  subscriberCount(id: string): number {
    return this.get(id).listeners.size;
  }

  private commit(s: FakeSession, events: TraceEvent[]): void {
    s.events.push(...events);
    if (events.length > 0) for (const l of [...s.listeners]) l(events);
  }

  private get(id: string): FakeSession {
    const s = this.sessions.get(id);
    if (s === undefined) throw new HttpError(404, "SESSION_NOT_FOUND", `No session with id "${id}"`);
    return s;
  }

  async authorize(principal: Principal, id: string): Promise<SessionRecord> {
    const s = this.get(id);
    if (principal.role !== "instructor" && s.record.ownerId !== principal.id) throw new HttpError(403, "FORBIDDEN", "This session belongs to someone else");
    return s.record;
  }

  async eventsSince(id: string, fromSeq: number, limit: number): Promise<TraceEvent[]> {
    const s = this.get(id);
    this.onRead(id, fromSeq);
    if (this.readDelayMs > 0) await new Promise((r) => setTimeout(r, this.readDelayMs));
    return s.events.filter((e) => e.seq >= fromSeq).slice(0, limit);
  }

  subscribe(id: string, listener: SessionListener): () => void {
    const s = this.get(id);
    s.listeners.add(listener);
    return () => s.listeners.delete(listener);
  }

  async nextSeq(id: string): Promise<number> {
    return this.get(id).events.length;
  }

  async replayInputs(id: string) {
    const s = this.get(id);
    return { topology: s.topology, seed: s.seed, startTime: s.startTime, limits: DEFAULT_LIMITS, commands: [...s.commands] };
  }

  /** The TraceSource of one session, as the trace route builds it. */
  source(id: string): TraceSource {
    return {
      eventsSince: (fromSeq, limit) => this.eventsSince(id, fromSeq, limit),
      subscribe: (listener) => this.subscribe(id, listener),
    };
  }

  async authenticate(request: FastifyRequest): Promise<Principal> {
    const header = request.headers.authorization;
    const query = (request.query as Record<string, unknown> | undefined)?.["access_token"];
    const token = header?.startsWith("Bearer ") ? header.slice(7) : typeof query === "string" ? query : undefined;
    const principal = token === undefined ? undefined : this.tokens.get(token);
    if (principal === undefined) throw new HttpError(401, "UNAUTHORIZED", "A valid bearer token is required");
    return principal;
  }
}

/** Decorates `sessions` and `authenticate` the way the real sessions plugin does. */
export const fakeSessionsPlugin = fp<{ sessions: FakeSessions }>(
  async (app, options) => {
    // The app types `sessions` as the real manager; the routes under test use only its SessionService part.
    app.decorate("sessions", options.sessions as unknown as FastifyInstance["sessions"]);
    app.decorate("authenticate", (request: FastifyRequest) => options.sessions.authenticate(request));
  },
  { name: "sessions", fastify: "5.x" },
);

/**
 * The trace route on a bare Fastify app backed by FakeSessions, listening on
 * loopback: token "S" is a student owning session "s1" of the bridge lab.
 * Closed when the test finishes.
 */
export async function fakeTraceApp(options: TraceRouteOptions = {}) {
  const student = { id: "tok-student", role: "student" as const, name: "Li Wei" };
  const sessions = new FakeSessions();
  sessions.tokens.set("S", student);
  sessions.create("s1", student, loadLab("bridge-two-containers").topology as TopologySpec);
  const app = Fastify({ logger: false }).withTypeProvider<TypeBoxTypeProvider>();
  await app.register(errorHandler);
  await app.register(websocket);
  await app.register(fakeSessionsPlugin, { sessions });
  await app.register(traceRoutes, { prefix: "/api/sessions", ...options });
  const address = await app.listen({ port: 0, host: "127.0.0.1" });
  onTestFinished(() => app.close());
  return { app, sessions, url: (path: string) => `${address.replace("http", "ws")}${path}` };
}
