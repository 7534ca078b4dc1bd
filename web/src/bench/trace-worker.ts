/**
 * The trace worker: holds the session's WebSocket (trace-connection.ts),
 * parses its messages off the page's thread and hands the events to the
 * page in slices small enough that taking one in is a short task, whatever
 * the size of the replayed page they came in.
 *
 * Messages in: `start` (once), `drop` (tests), `close`. Out: `status`,
 * `events`. Their shapes are in trace-socket.ts, the page's side.
 */
import { TraceConnection } from "./trace-connection.js";
import { SLICE, type ToPage, type ToWorker } from "./trace-socket.js";

let connection: TraceConnection | null = null;
const post = (message: ToPage) => postMessage(message);

onmessage = (message: MessageEvent<ToWorker>) => {
  const data = message.data;
  switch (data.type) {
    case "start":
      connection ??= new TraceConnection({
        ...data.options,
        onStatus: (status) => post({ type: "status", status }),
        onEvents: (events) => {
          for (let i = 0; i < events.length; i += SLICE) post({ type: "events", events: events.slice(i, i + SLICE) });
        },
      });
      break;
    case "drop":
      connection?.dropForTest();
      break;
    case "close":
      connection?.close();
      connection = null;
      close();
      break;
    default: {
      const never: never = data;
      return never;
    }
  }
};
