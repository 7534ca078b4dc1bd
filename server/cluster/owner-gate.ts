/**
 * The way into a route that must run where its session's lease is (the
 * routes that say `config: { sessionOwner: true }`: commands and state).
 *
 * The request is served here when this instance holds the session or can take
 * it (its lease is free), and otherwise sent on to the holder
 * (forward-request.ts), whose answer goes back as it is. One hop at most: an
 * instance asked by another serves the session or answers SESSION_MOVED, and
 * the first asks Redis again. A holder that refuses the connection (dead) is
 * waited out until its lease ends, then the session is taken here; one that
 * failed while it had the request may have run it, so the client is told to
 * read the log rather than have it sent twice.
 */
import type { FastifyRequest, preHandlerAsyncHookHandler } from "fastify";
import { HttpError } from "../http/http-error.js";
import { sessionMoved } from "../sessions/session-ownership.js";
import { forwardRequest } from "./forward-request.js";
import { LeaseRecovering, type LeaseHolder, type SessionLeases } from "./session-leases.js";

export interface OwnerGateOptions {
  instanceId: string;
  leases: SessionLeases;
  ttlMs: number;
  /** How long a forwarded request may take, ms. */
  forwardTimeoutMs: number;
  /** The forwarded-request header's value: this instance and the cluster's secret. */
  forwardedBy: string;
  isForwarded(request: FastifyRequest): boolean;
  /** Throws (404, 403) unless the caller may use the session. */
  authorize(request: FastifyRequest, id: string): Promise<void>;
}

/** A dead holder's lease has run out by then, and a survivor has had a second to take the session. */
const TAKEOVER_MARGIN_MS = 2_000;

/** What a claim that Redis could not settle answers: 503, in the error shape, with when to try again. */
export function leaseUnavailable(err: unknown): HttpError {
  if (err instanceof LeaseRecovering) {
    const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
    return new HttpError(503, "REDIS_UNAVAILABLE", "Redis came back moments ago: the instances are taking their sessions back; try again shortly", { reason: "recovering", retryAfterSeconds: seconds }, { "retry-after": String(seconds) });
  }
  return new HttpError(503, "REDIS_UNAVAILABLE", "The instances cannot agree who runs this session: Redis does not answer; try again shortly", { reason: (err as Error).message, retryAfterSeconds: 2 }, { "retry-after": "2" });
}

export function ownerGate(options: OwnerGateOptions): preHandlerAsyncHookHandler {
  const { instanceId, leases, ttlMs } = options;

  const claim = (id: string) => leases.claim(id).catch((err: unknown) => Promise.reject(leaseUnavailable(err)));

  /** Waits while `holder` (unreachable) still holds the session, up to `until`. */
  const waitForLease = async (id: string, holder: LeaseHolder, until: number) => {
    while (Date.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(50, Math.floor(ttlMs / 10))));
      const now = await leases.holder(id).catch(() => holder);
      if (now === null || now.instanceId !== holder.instanceId) return;
    }
  };

  return async function sessionOwnerGate(request, reply) {
    const id = (request.params as { id?: string }).id;
    if (id === undefined) return;
    await options.authorize(request, id);
    const forwarded = options.isForwarded(request);
    const until = Date.now() + ttlMs + TAKEOVER_MARGIN_MS;
    for (;;) {
      const holder = await claim(id);
      if (holder.instanceId === instanceId) return;
      if (forwarded) throw sessionMoved();
      const result = await forwardRequest(request, holder.url, options.forwardedBy, options.forwardTimeoutMs);
      switch (result.kind) {
        case "answered":
          // The holder let the session go meanwhile (idle, shutdown): nothing ran there, ask again.
          if (result.status === 503 && result.body.includes('"SESSION_MOVED"') && Date.now() < until) continue;
          return reply.code(result.status).headers(result.headers).send(result.body);
        case "failed":
          request.log.warn({ sessionId: id, owner: holder.instanceId, reason: result.reason }, "forwarded request failed at the session's instance");
          throw new HttpError(
            502,
            "SESSION_INSTANCE_FAILED",
            "The instance running this session stopped while handling the request: it may or may not have been carried out; read the session's command log before sending it again",
            { instance: holder.instanceId },
          );
        case "unreachable":
          // Refused: it never got there, so it may run here once the dead holder's lease runs out.
          if (Date.now() >= until) {
            throw new HttpError(503, "SESSION_INSTANCE_UNREACHABLE", "The instance running this session does not answer; another will take it over shortly", { instance: holder.instanceId }, { "retry-after": "1" });
          }
          request.log.info({ sessionId: id, owner: holder.instanceId, reason: result.reason }, "session's instance unreachable: waiting for its lease to run out");
          await waitForLease(id, holder, until);
          break;
        default: {
          const never: never = result;
          throw new Error(`unknown forward result ${JSON.stringify(never)}`);
        }
      }
    }
  };
}
