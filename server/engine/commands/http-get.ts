/**
 * One HTTP/1.1 GET over the simulated TCP, as curl and wget make it: connect
 * (within the connect limit), send the request, read until the
 * Content-Length is in or the server closes (within the total limit). The
 * tools print from the outcome in their own words.
 */
import { isLimitReached } from "../object-quota.js";
import { tcpClose, tcpConnect, tcpSend } from "../stack/tcp.js";
import type { TcpConnection } from "../stack/sockets.js";
import type { CommandContext } from "./command-context.js";
import { limitReached } from "./object-limit.js";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export type HttpOutcome =
  | { kind: "connect-failed"; error: string }
  | { kind: "connect-timeout" }
  | { kind: "transfer-timeout"; received: number }
  | { kind: "response"; head: string; body: string };

/** `connectLimit` and `totalLimit` are virtual times; `exitIfNoSocket` is the tool's exit status when no socket is left. */
export function httpGet(ctx: CommandContext, dst: number, port: number, request: string, process: string, connectLimit: number, totalLimit: number, exitIfNoSocket: number): HttpOutcome {
  const { ns, net } = ctx;
  const sched = net.scheduler;
  let error: string | null = null;
  let connected = false;
  let finished = false;
  let received = new Uint8Array(0);
  let expected: number | null = null;
  let headerEnd = -1;
  let conn: TcpConnection | "ENETUNREACH" = "ENETUNREACH";
  // The tool arms its connect timeout before it calls connect(): a SYN retransmission due at the same instant comes after it.
  const connectBy = Math.min(connectLimit, totalLimit);
  let timedOut = false;
  const deadline = sched.at(connectBy, () => {
    timedOut = true;
  });
  const made = tcpConnect(ns, dst, port, process, {
    onConnected: () => {
      connected = true;
      tcpSend(ns, conn as TcpConnection, encoder.encode(request));
    },
    onData: (data) => {
      const merged = new Uint8Array(received.length + data.length);
      merged.set(received);
      merged.set(data, received.length);
      received = merged;
      const text = decoder.decode(received);
      headerEnd = text.indexOf("\r\n\r\n");
      if (headerEnd >= 0 && expected === null) {
        const cl = /\r\ncontent-length:\s*(\d+)/i.exec(text.slice(0, headerEnd));
        expected = cl === null ? 0 : Number(cl[1]);
      }
      if (headerEnd >= 0 && expected !== null && received.length - (headerEnd + 4) >= expected) {
        finished = true;
        tcpClose(ns, conn as TcpConnection);
      }
    },
    onClosed: () => {
      finished = true;
    },
    onError: (e) => {
      error = e;
    },
  });
  // socket() refused: the tool gives up before connecting.
  if (isLimitReached(made)) {
    deadline.cancelled = true;
    limitReached(made, exitIfNoSocket);
  }
  conn = made;
  if (conn === "ENETUNREACH") error = "ENETUNREACH";
  sched.runUntilDone(() => error !== null || connected || timedOut, connectBy);
  deadline.cancelled = true;
  if (!connected && error === null) {
    if (typeof conn !== "string") tcpClose(ns, conn);
    return { kind: "connect-timeout" };
  }
  if (!connected) return { kind: "connect-failed", error: error! };
  sched.runUntilDone(() => finished || error !== null, totalLimit);
  if (!finished) return { kind: "transfer-timeout", received: received.length };
  const text = decoder.decode(received);
  return { kind: "response", head: headerEnd >= 0 ? text.slice(0, headerEnd) : text, body: headerEnd >= 0 ? text.slice(headerEnd + 4) : "" };
}
