/**
 * An error a handler throws on purpose, with the status, code and message the
 * client should see. Its message is written for the client, so the error
 * handler sends it even for a 5xx (unlike any other error's). `headers` go
 * out with the answer (Retry-After, WWW-Authenticate): code that throws from
 * deep in a request, without the reply at hand, can still set them.
 */
export class HttpError extends Error {
  override readonly name = "HttpError";

  constructor(
    readonly statusCode: number,
    /** UPPER_SNAKE, stable: clients branch on it. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
    readonly headers?: Readonly<Record<string, string>>,
  ) {
    super(message);
  }
}
