/**
 * Prints a session's trace in a terminal, live: one line per event,
 * `seq time kind host/namespace/device summary`. It replays the session from
 * the start (or --from), then waits for the commands that follow. If the
 * server says the client lagged, it reconnects where it left off.
 *
 *   npx tsx examples/trace-client.ts --server http://127.0.0.1:3000 --token T --session ID \
 *     [--kind bridge-flood,arp-request] [--protocol arp,icmp] [--host node1] [--namespace nginx-1] [--device eth0] [--from 0]
 *
 * Filters take comma-separated lists. The message format is in docs/trace-stream.md.
 */
import { parseArgs } from "node:util";
import WebSocket from "ws";

interface TraceEvent {
  seq: number;
  time: number;
  kind: string;
  host: string;
  namespace: string;
  device: string | null;
  summary: string;
}

type ServerMessage =
  | { type: "hello"; sessionId: string; nextSeq: number }
  | { type: "events"; events: TraceEvent[] }
  | { type: "lagged"; lastSeq: number; message: string }
  | { type: "error"; error: { code: string; message: string } };

const CLOSE_LAGGED = 4008;

const { values } = parseArgs({
  options: {
    server: { type: "string", default: "http://127.0.0.1:3000" },
    token: { type: "string" },
    session: { type: "string" },
    from: { type: "string", default: "0" },
    kind: { type: "string" },
    protocol: { type: "string" },
    host: { type: "string" },
    namespace: { type: "string" },
    device: { type: "string" },
  },
});

if (values.token === undefined || values.session === undefined) {
  console.error("usage: trace-client --server URL --token TOKEN --session ID [--kind k1,k2] [--protocol arp] [--host h] [--namespace ns] [--device dev] [--from seq]");
  process.exit(2);
}

const list = (value: string | undefined) => (value === undefined ? undefined : value.split(",").filter((v) => v !== ""));
const filter = {
  kinds: list(values.kind),
  protocols: list(values.protocol),
  hosts: list(values.host),
  namespaces: list(values.namespace),
  devices: list(values.device),
};

const url = `${values.server.replace(/^http/, "ws").replace(/\/$/, "")}/api/sessions/${encodeURIComponent(values.session)}/trace`;

function line(e: TraceEvent): string {
  const where = `${e.host}/${e.namespace}/${e.device ?? "-"}`;
  return `${String(e.seq).padStart(6)} ${(e.time / 1e6).toFixed(6).padStart(12)} ${e.kind.padEnd(14)} ${where.padEnd(28)} ${e.summary}`;
}

let current: WebSocket | null = null;
process.on("SIGINT", () => current?.close(1000, "bye"));

function connect(fromSeq: number): void {
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${values.token}` } });
  current = ws;
  let next = fromSeq;

  ws.on("unexpected-response", (_request, response) => {
    let body = "";
    response.on("data", (chunk: Buffer) => (body += chunk.toString()));
    response.on("end", () => {
      console.error(`refused: HTTP ${response.statusCode} ${body}`);
      process.exit(1);
    });
  });
  ws.on("error", (err) => {
    console.error(`cannot connect to ${url}: ${err.message}`);
    process.exit(1);
  });

  ws.on("message", (data) => {
    const message = JSON.parse(data.toString()) as ServerMessage;
    switch (message.type) {
      case "hello":
        console.error(`session ${message.sessionId}: ${message.nextSeq} events so far; replaying from ${next}, then live (Ctrl-C to stop)`);
        ws.send(JSON.stringify({ type: "subscribe", fromSeq: next, filter }));
        break;
      case "events":
        for (const e of message.events) {
          console.log(line(e));
          next = e.seq + 1;
        }
        break;
      case "lagged":
        console.error(`lagged: ${message.message}`);
        next = Math.max(next, message.lastSeq + 1);
        break;
      case "error":
        console.error(`error ${message.error.code}: ${message.error.message}`);
        break;
    }
  });

  ws.on("close", (code, reason) => {
    if (code === CLOSE_LAGGED) {
      connect(next);
      return;
    }
    console.error(`closed: ${code} ${reason.toString()}`);
    process.exit(code === 1000 || code === 1001 ? 0 : 1);
  });
}

connect(Number(values.from));
