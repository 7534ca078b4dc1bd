/**
 * The page's one way to call the API: the bearer token from token-store,
 * JSON in and out, and every error answer (the API's {"error": {code,
 * message, details}}) thrown as an ApiError the views show as it is.
 */
import { loadToken } from "../auth/token-store.js";

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  /** A body sent as it is, with this content type (lab YAML). */
  raw?: { body: string; type: string };
  signal?: AbortSignal;
}

async function send(path: string, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = {};
  const token = loadToken();
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.raw !== undefined) {
    headers["content-type"] = options.raw.type;
    body = options.raw.body;
  } else if (options.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.body);
  }
  const response = await fetch(path, { method: options.method ?? "GET", headers, body, signal: options.signal });
  if (!response.ok) {
    let error = { code: `HTTP_${response.status}`, message: response.statusText, details: undefined as unknown };
    try {
      const parsed = (await response.json()) as { error?: typeof error };
      if (parsed.error !== undefined) error = parsed.error;
    } catch {
      // Not our JSON shape (a proxy's page): the status says enough.
    }
    throw new ApiError(response.status, error.code, error.message, error.details);
  }
  return response;
}

export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await send(path, options);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

export async function apiBytes(path: string): Promise<{ bytes: Uint8Array; headers: Headers }> {
  const response = await send(path);
  return { bytes: new Uint8Array(await response.arrayBuffer()), headers: response.headers };
}

export async function apiText(path: string): Promise<string> {
  return (await send(path)).text();
}

/** Saves an API answer as a file: fetched with the token (a plain link could not send it), handed to the browser as a blob. */
export async function download(path: string, fallbackName: string): Promise<void> {
  const response = await send(path);
  const disposition = response.headers.get("content-disposition") ?? "";
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? fallbackName;
  const url = URL.createObjectURL(await response.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
