/**
 * The page's side of the session's trace stream: the WebSocket itself, its
 * parsing and its reconnections live in a worker (trace-worker.ts, with
 * trace-connection.ts); the page gets the events in slices of SLICE, each
 * its own short task, and the socket's status.
 */
import type { TraceEvent } from "../trace/trace-event.js";
import type { SocketStatus, TraceConnectionOptions } from "./trace-connection.js";

export type { SocketStatus } from "./trace-connection.js";

/** Events per message from the worker: taking 100 in is a few milliseconds, 500 (a replayed page) was the page's longest task. */
export const SLICE = 100;

export type ToWorker = { type: "start"; options: Pick<TraceConnectionOptions, "sessionId" | "token" | "fromSeq"> } | { type: "drop" } | { type: "close" };
export type ToPage = { type: "status"; status: SocketStatus } | { type: "events"; events: TraceEvent[] };

export type TraceSocketOptions = Pick<TraceConnectionOptions, "sessionId" | "token" | "fromSeq" | "onEvents" | "onStatus">;

export class TraceSocket {
  private readonly worker: Worker;

  constructor(private readonly options: TraceSocketOptions) {
    this.worker = new Worker(new URL("./trace-worker.ts", import.meta.url), { type: "module", name: "cnlab-trace" });
    this.worker.onmessage = (message: MessageEvent<ToPage>) => {
      const data = message.data;
      switch (data.type) {
        case "status":
          this.options.onStatus(data.status);
          break;
        case "events":
          this.options.onEvents(data.events);
          break;
        default: {
          const never: never = data;
          return never;
        }
      }
    };
    const { sessionId, token, fromSeq } = options;
    this.send({ type: "start", options: { sessionId, token, fromSeq } });
  }

  /** For tests of the reconnection: drop the socket as a network would. */
  dropForTest(): void {
    this.send({ type: "drop" });
  }

  close(): void {
    this.send({ type: "close" });
    this.options.onStatus("closed");
  }

  private send(message: ToWorker): void {
    this.worker.postMessage(message);
  }
}
