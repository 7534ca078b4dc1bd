/**
 * The session's trace over WebSocket (docs/trace-stream.md): subscribe
 * from a seq, receive pages of events, and when the socket goes (lagged
 * 4008, the server restarting 1001, a dropped connection 1006, a refused
 * upgrade) reconnect from the seq after the last event received, so no event
 * is lost or repeated. 4410 (session deleted) ends it. The token goes in
 * `?access_token=` (browsers cannot set headers on a WebSocket); the server
 * keeps it out of its logs.
 *
 * Runs in the trace worker (trace-worker.ts), not on the page's thread: a
 * replayed page of 500 events is megabytes of JSON, and parsing it is the
 * longest thing the page would otherwise do.
 */
import type { TraceEvent } from "../trace/trace-event.js";

export type SocketStatus = "connecting" | "live" | "reconnecting" | "closed";

export interface TraceConnectionOptions {
  sessionId: string;
  token: string;
  fromSeq: number;
  onEvents: (events: TraceEvent[]) => void;
  onStatus: (status: SocketStatus) => void;
}

const MAX_BACKOFF_MS = 5000;

export class TraceConnection {
  private socket: WebSocket | null = null;
  private nextSeq: number;
  private stopped = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly options: TraceConnectionOptions) {
    this.nextSeq = options.fromSeq;
    this.connect();
  }

  /** For tests of the reconnection: drop the socket as a network would. */
  dropForTest(): void {
    this.socket?.close(4000, "dropped by test");
  }

  close(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.socket?.close(1000, "done");
    this.options.onStatus("closed");
  }

  private connect(): void {
    const { sessionId, token } = this.options;
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const url = `${scheme}://${location.host}/api/sessions/${encodeURIComponent(sessionId)}/trace?access_token=${encodeURIComponent(token)}`;
    this.options.onStatus(this.attempts === 0 ? "connecting" : "reconnecting");
    const socket = new WebSocket(url);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "subscribe", fromSeq: this.nextSeq }));
    socket.onmessage = (message) => {
      const data = JSON.parse(String(message.data)) as { type: string; events?: TraceEvent[]; lastSeq?: number };
      if (data.type === "hello") {
        this.attempts = 0;
        this.options.onStatus("live");
      } else if (data.type === "events" && data.events !== undefined) {
        // Exactly once per connection is the server's promise; across reconnections, seqs keep us honest.
        const fresh = data.events.filter((e) => e.seq >= this.nextSeq);
        if (fresh.length > 0) {
          this.nextSeq = fresh.at(-1)!.seq + 1;
          this.options.onEvents(fresh);
        }
      } else if (data.type === "lagged" && data.lastSeq !== undefined) {
        this.nextSeq = Math.max(this.nextSeq, data.lastSeq + 1);
      }
    };
    socket.onclose = (event) => {
      if (this.stopped || this.socket !== socket) return;
      if (event.code === 4410) {
        this.options.onStatus("closed");
        return;
      }
      this.attempts++;
      this.options.onStatus("reconnecting");
      const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** Math.min(this.attempts, 5));
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }
}
