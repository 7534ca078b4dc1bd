/**
 * Bearer tokens as strings: "cnlab_" and 32 random bytes in base64url. Only
 * the SHA-256 of a token is ever stored, so a copy of the database does not
 * give anyone access; a presented token is looked up by its hash.
 */
import { createHash, randomBytes } from "node:crypto";

export const TOKEN_PREFIX = "cnlab_";

export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(32).toString("base64url")}`;
}

/** sha256, lower-case hex. A token has 256 random bits, so no salt or slow hash is needed. */
export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}
