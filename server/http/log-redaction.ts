/**
 * Keeps secrets out of the logs. Fastify logs every request's URL, and the
 * trace WebSocket takes its bearer token as `?access_token=` (browsers cannot
 * set headers on an upgrade), so the request serializer logs the URL with the
 * value of every secret-looking query parameter replaced. It logs no headers
 * at all; and should some line carry a headers object anyway (a plugin
 * logging the raw request), pino's redaction blanks Authorization in it.
 *
 * It does not scrub messages or error texts: nothing the server writes there
 * holds a token (the token store keeps only hashes).
 */
import type { FastifyServerOptions } from "fastify";

export const REDACTED = "[REDACTED]";

/** Query parameter names whose values are secrets: access_token, token, api_key, password … */
const SECRET_PARAMETER = /token|secret|passw(or)?d|api[-_]?key|^key$|^auth(orization)?$|signature|credential/i;

/** The URL with the values of secret query parameters replaced; everything else as sent. */
export function redactUrl(url: string): string {
  const query = url.indexOf("?");
  if (query < 0) return url;
  const parameters = url
    .slice(query + 1)
    .split("&")
    .map((parameter) => {
      const equals = parameter.indexOf("=");
      const rawName = equals < 0 ? parameter : parameter.slice(0, equals);
      return SECRET_PARAMETER.test(decodeName(rawName)) ? `${rawName}=${REDACTED}` : parameter;
    });
  return `${url.slice(0, query)}?${parameters.join("&")}`;
}

/** A name as the server reads it (`%61ccess_token` is access_token), so encoding cannot smuggle a token past. */
function decodeName(rawName: string): string {
  try {
    return decodeURIComponent(rawName.replaceAll("+", " "));
  } catch {
    return rawName;
  }
}

/** What the serializer reads of a request: Fastify hands it its own request object. */
interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** Fastify's own request serializer, less the Accept-Version header, with the URL redacted. */
export function serializeRequest(request: LoggedRequest) {
  return {
    method: request.method,
    url: request.url === undefined ? undefined : redactUrl(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}

/** Paths pino blanks in any line: a headers object logged at the top or one level down (req.headers). */
const REDACT_PATHS = ["headers.authorization", "*.headers.authorization", "headers.cookie", "*.headers.cookie"];

type LoggerOption = FastifyServerOptions["logger"];

/** Adds the serializer and the redaction to a logger option; `false` (no logging) stays as it is. */
export function redactingLogger(logger: LoggerOption): LoggerOption {
  if (logger === false || logger === undefined) return logger;
  const options = logger === true ? {} : logger;
  return {
    ...options,
    // Ours win over the caller's: a test's or an operator's logger must not undo the redaction.
    serializers: { ...options.serializers, req: serializeRequest },
    redact: { paths: REDACT_PATHS, censor: REDACTED },
  };
}
