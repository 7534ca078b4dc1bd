/**
 * Sends a request that arrived here on to the instance that runs its session,
 * and brings back that instance's answer as it is: status, body and the
 * headers a client reads. The original Authorization goes along, so the owner
 * authenticates and authorizes the caller itself.
 *
 * It tells apart an owner that could not be reached at all (the connection
 * was refused: the request never got there, so sending it again elsewhere
 * cannot run a command twice) from one that failed on the way (the command
 * may have run): only the first is `unreachable`.
 */
import http from "node:http";
import https from "node:https";
import type { FastifyRequest } from "fastify";

/** Header carrying "<instance id> <cluster secret>" on a forwarded request. */
export const FORWARDED_HEADER = "x-cnlab-forwarded";
/** Header naming the instance that answered. */
export const INSTANCE_HEADER = "x-cnlab-instance";

/** Headers of the owner's answer worth passing on to the client. */
const ANSWER_HEADERS = ["content-type", "retry-after", INSTANCE_HEADER, "www-authenticate"];
/** Headers of the client's request the owner needs. */
const REQUEST_HEADERS = ["authorization", "content-type", "accept", "accept-language", "x-request-id"];

export type ForwardResult =
  | { kind: "answered"; status: number; headers: Record<string, string>; body: string }
  | { kind: "unreachable"; reason: string }
  | { kind: "failed"; reason: string };

/** Reused connections for requests that may be sent twice (GET); a command gets a connection of its own (see below). */
const keepAlive = { http: new http.Agent({ keepAlive: true }), https: new https.Agent({ keepAlive: true }) };

export function forwardRequest(request: FastifyRequest, ownerUrl: string, forwardedBy: string, timeoutMs: number): Promise<ForwardResult> {
  const headers: Record<string, string> = { [FORWARDED_HEADER]: forwardedBy };
  for (const name of REQUEST_HEADERS) {
    const value = request.headers[name];
    if (typeof value === "string") headers[name] = value;
  }
  const readOnly = request.method === "GET" || request.method === "HEAD";
  const body = readOnly || request.body === undefined || request.body === null ? null : Buffer.from(JSON.stringify(request.body));
  if (body !== null) headers["content-length"] = String(body.length);
  const url = new URL(request.url, ownerUrl);
  const secure = url.protocol === "https:";
  return new Promise((resolve) => {
    let settled = false;
    const settle = (result: ForwardResult) => {
      if (settled) return;
      settled = true;
      resolve(result);
    };
    // A command is sent on a new connection: a kept-alive one may have died with its instance, and
    // a reset on it could not tell "never got there" from "got there and maybe ran". A refused
    // new connection can only mean the first.
    const agent = readOnly ? keepAlive[secure ? "https" : "http"] : false;
    const outgoing = (secure ? https : http).request(url, { method: request.method, headers, agent, timeout: timeoutMs }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("error", (err) => settle(failure(err, readOnly)));
      response.on("end", () => {
        const answerHeaders: Record<string, string> = {};
        for (const name of ANSWER_HEADERS) {
          const value = response.headers[name];
          if (typeof value === "string") answerHeaders[name] = value;
        }
        settle({ kind: "answered", status: response.statusCode ?? 502, headers: answerHeaders, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    outgoing.on("timeout", () => outgoing.destroy(Object.assign(new Error("the instance did not answer in time"), { code: "ETIMEDOUT" })));
    outgoing.on("error", (err) => settle(failure(err, readOnly)));
    outgoing.end(body ?? undefined);
  });
}

/** Refused, or a read that may simply be sent again: `unreachable`; anything else: the request may have been carried out. */
function failure(err: Error, readOnly: boolean): ForwardResult {
  const code = (err as NodeJS.ErrnoException).code ?? err.message;
  if (readOnly || code === "ECONNREFUSED" || code === "EHOSTUNREACH" || code === "ENOTFOUND" || code === "EAI_AGAIN") return { kind: "unreachable", reason: code };
  return { kind: "failed", reason: code };
}
