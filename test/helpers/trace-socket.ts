/**
 * A real WebSocket client on the trace route for tests: collects the server's
 * messages, waits for the ones a test expects, and closes when the test ends.
 */
import { Compile } from "typebox/compile";
import { expect, onTestFinished } from "vitest";
import WebSocket from "ws";
import { type TraceEvent, TraceEventSchema } from "../../server/engine/index.js";
import { ServerMessage, TRACE_EVENT_SCHEMA_ID } from "../../server/routes/sessions/trace-schema.js";

/** Every message the server sends must match the published schema. */
export const checkServerMessage = Compile({ [TRACE_EVENT_SCHEMA_ID]: TraceEventSchema }, ServerMessage);

export interface TraceSocket {
  ws: WebSocket;
  messages: ServerMessage[];
  /** Events received so far, in order. */
  events(): TraceEvent[];
  /** Resolves when `predicate` holds for the messages so far (checked on every message). */
  until(predicate: (messages: ServerMessage[]) => boolean, what?: string, timeoutMs?: number): Promise<void>;
  untilEvents(count: number): Promise<TraceEvent[]>;
  send(message: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

/** Opens `url` (ws://…); rejects with the HTTP status, headers and body when the upgrade is refused. Fails the test if a message breaks the schema. */
export async function openTraceSocket(url: string, headers: Record<string, string> = {}): Promise<TraceSocket> {
  const ws = new WebSocket(url, { headers });
  const messages: ServerMessage[] = [];
  const waiters = new Set<() => void>();
  const invalid: unknown[] = [];
  ws.on("message", (data) => {
    const message: unknown = JSON.parse(data.toString());
    if (!checkServerMessage.Check(message)) invalid.push({ message, errors: checkServerMessage.Errors(message).slice(0, 3) });
    messages.push(message as ServerMessage);
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    ws.on("close", (code, reason) => {
      resolve({ code, reason: reason.toString() });
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { statusCode: res.statusCode, headers: res.headers, body })));
    });
    ws.once("error", reject);
  });
  onTestFinished(() => {
    expect(invalid, "messages that break the schema").toEqual([]);
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
  });

  const events = () => messages.flatMap((m) => (m.type === "events" ? m.events : []));
  const until = (predicate: (m: ServerMessage[]) => boolean, what = "messages", timeoutMs = 10_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (predicate(messages)) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve();
        } else if (ws.readyState === WebSocket.CLOSED) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`socket closed while waiting for ${what}; got ${JSON.stringify(messages.map((m) => m.type))}`));
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${messages.length} messages, ${events().length} events`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  return {
    ws,
    messages,
    events,
    until,
    async untilEvents(count) {
      await until(() => events().length >= count, `${count} events`);
      return events();
    },
    send: (message) => ws.send(JSON.stringify(message)),
    closed,
  };
}
