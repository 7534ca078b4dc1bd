/**
 * Who is calling: the holder of a bearer token. Roles are a closed list; the
 * token itself is never part of a principal (only its row id).
 */
export const ROLES = ["student", "instructor"] as const;
export type Role = (typeof ROLES)[number];

export interface Principal {
  /** The AccessToken row id. */
  id: string;
  role: Role;
  /** Display name given when the token was made ("Li Wei", "instructor"). */
  name: string;
}
