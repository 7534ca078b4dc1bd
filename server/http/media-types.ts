/**
 * Which media types request bodies may have, and the one 415 answer for any
 * other: JSON everywhere, and a lab (routes/labs) also as YAML. The answer
 * names what was sent and lists what the route takes, so a client that sent
 * `text/plain` or nothing at all knows what to change.
 */
import { HttpError } from "./http-error.js";

export const JSON_MEDIA_TYPE = "application/json";
/** YAML has no one registered type in wide use: these are the ones clients send. */
export const YAML_MEDIA_TYPES = ["application/yaml", "application/x-yaml", "text/yaml"] as const;

/** "Application/JSON; charset=utf-8" → "application/json"; undefined when there is none. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  const essence = contentType?.split(";")[0]?.trim().toLowerCase();
  return essence === undefined || essence === "" ? undefined : essence;
}

/** A Content-Type is the client's text and comes back in the message: keep it short. */
const SHOWN_LENGTH = 100;

export function unsupportedMediaType(contentType: string | undefined, accepted: readonly string[]): HttpError {
  const sent =
    contentType === undefined || contentType.trim() === ""
      ? "no Content-Type"
      : `Content-Type ${JSON.stringify(contentType.length > SHOWN_LENGTH ? `${contentType.slice(0, SHOWN_LENGTH)}…` : contentType)}`;
  return new HttpError(415, "UNSUPPORTED_MEDIA_TYPE", `The body came with ${sent}; this route takes ${accepted.join(", ")}`, { accepted: [...accepted] });
}
