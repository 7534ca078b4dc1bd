/**
 * The result union every wire decoder and parser returns, so malformed input from
 * a user or a random frame is an ordinary value rather than an exception.
 * It does not carry error codes: the error string is what a trace shows.
 */

export type Result<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err(error: string): { readonly ok: false; readonly error: string } {
  return { ok: false, error };
}

/** For literals in code and tests, where a failure is a programming error. */
export function unwrap<T>(result: Result<T>): T {
  if (!result.ok) throw new Error(result.error);
  return result.value;
}
