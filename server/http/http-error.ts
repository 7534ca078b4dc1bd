/**
 * An error a handler throws on purpose, with the status, code and message the
 * client should see. Its message is written for the client, so the error
 * handler sends it even for a 5xx (unlike any other error's).
 */
export class HttpError extends Error {
  override readonly name = "HttpError";

  constructor(
    readonly statusCode: number,
    /** UPPER_SNAKE, stable: clients branch on it. */
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
