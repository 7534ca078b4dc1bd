/**
 * Access tokens: make them, list them, revoke them, and turn a presented
 * token into the principal holding it. Lookups are cached in memory, by the
 * token as presented (so a hot request does not even hash it): every API
 * request authenticates, and only this process writes tokens, so a cached
 * entry is dropped exactly when its token is revoked or replaced.
 *
 * It does not read HTTP headers (plugins/auth.ts does) or decide who may do
 * what (the routes and the session service do).
 */
import type { PrismaClient } from "../db/prisma-client.js";
import { HttpError } from "../http/http-error.js";
import type { Principal, Role } from "./principal.js";
import { generateToken, hashToken } from "./token-secret.js";

export interface TokenInfo {
  id: string;
  name: string;
  role: Role;
  createdAt: Date;
  createdById: string | null;
}

/** The name the first instructor token gets. */
export const BOOTSTRAP_NAME = "instructor";
/** The row id of the instructor token from CNLAB_INSTRUCTOR_TOKEN (or the generated one), so a new value replaces the old. */
export const BOOTSTRAP_ID = "bootstrap-instructor";

const CACHE_LIMIT = 10_000;

export type BootstrapOutcome =
  | { kind: "configured" }
  | { kind: "existing" }
  /** No instructor token existed and none was configured: this one was made; show it once. */
  | { kind: "generated"; token: string };

export class AccessTokens {
  /** Token as presented → its principal. */
  private readonly cache = new Map<string, Principal>();

  constructor(private readonly prisma: PrismaClient) {}

  /** The principal a token belongs to, or null for an unknown or revoked one. */
  async principalFor(token: string): Promise<Principal | null> {
    return this.cached(token) ?? this.lookUp(token);
  }

  /** The principal of a token seen before and still valid, without touching the database; undefined otherwise. */
  cached(token: string): Principal | undefined {
    return this.cache.get(token);
  }

  private async lookUp(token: string): Promise<Principal | null> {
    const row = await this.prisma.accessToken.findUnique({
      where: { tokenHash: hashToken(token) },
      select: { id: true, name: true, role: true, revokedAt: true },
    });
    if (row === null || row.revokedAt !== null) return null;
    const principal: Principal = { id: row.id, name: row.name, role: row.role as Role };
    if (this.cache.size >= CACHE_LIMIT) this.cache.clear();
    this.cache.set(token, principal);
    return principal;
  }

  private forget(id: string): void {
    for (const [token, principal] of this.cache) if (principal.id === id) this.cache.delete(token);
  }

  /**
   * Makes a token; the result is the only time the token itself is seen.
   * Names are unique among live tokens: one token per student.
   */
  async create(input: { name: string; role: Role; createdById: string | null }): Promise<TokenInfo & { token: string }> {
    const token = generateToken();
    const row = await this.prisma.$transaction(async (tx) => {
      const clash = await tx.accessToken.findFirst({ where: { name: input.name, revokedAt: null }, select: { id: true } });
      if (clash !== null) {
        throw new HttpError(409, "TOKEN_NAME_TAKEN", `A token named "${input.name}" already exists; delete it first or choose another name`);
      }
      return tx.accessToken.create({
        data: { name: input.name, role: input.role, tokenHash: hashToken(token), createdById: input.createdById },
      });
    });
    return { ...info(row), token };
  }

  async list(): Promise<TokenInfo[]> {
    const rows = await this.prisma.accessToken.findMany({ where: { revokedAt: null }, orderBy: [{ createdAt: "asc" }, { name: "asc" }] });
    return rows.map(info);
  }

  /**
   * Revokes a token: it stops working at once, and its sessions keep their
   * owner. The last instructor token cannot go, or nobody could make new ones.
   */
  async revoke(id: string): Promise<void> {
    await this.prisma.$transaction(async (tx) => {
      const row = await tx.accessToken.findUnique({ where: { id } });
      if (row === null || row.revokedAt !== null) throw new HttpError(404, "TOKEN_NOT_FOUND", `No token with id "${id}"`);
      if (row.role === "instructor") {
        const instructors = await tx.accessToken.count({ where: { role: "instructor", revokedAt: null } });
        if (instructors <= 1) throw new HttpError(409, "LAST_INSTRUCTOR", "This is the last instructor token: create another instructor token before deleting it");
      }
      await tx.accessToken.update({ where: { id }, data: { revokedAt: new Date() } });
    });
    this.forget(id);
  }

  /**
   * Makes sure an instructor can get in. A configured token (CNLAB_INSTRUCTOR_TOKEN)
   * is stored as the bootstrap instructor, replacing an earlier value; without
   * one, a token is generated only when no instructor token exists at all.
   */
  async bootstrap(configuredToken: string | null): Promise<BootstrapOutcome> {
    if (configuredToken !== null) {
      const tokenHash = hashToken(configuredToken);
      const holder = await this.prisma.accessToken.findUnique({ where: { tokenHash } });
      if (holder !== null && holder.id !== BOOTSTRAP_ID) {
        // The value is some other token's: using it would hand that holder instructor rights.
        throw new Error("CNLAB_INSTRUCTOR_TOKEN is the value of an existing token; choose another value");
      }
      await this.prisma.accessToken.upsert({
        where: { id: BOOTSTRAP_ID },
        create: { id: BOOTSTRAP_ID, name: BOOTSTRAP_NAME, role: "instructor", tokenHash },
        update: { tokenHash, role: "instructor", revokedAt: null },
      });
      this.forget(BOOTSTRAP_ID);
      return { kind: "configured" };
    }
    const instructors = await this.prisma.accessToken.count({ where: { role: "instructor", revokedAt: null } });
    if (instructors > 0) return { kind: "existing" };
    const token = generateToken();
    const tokenHash = hashToken(token);
    await this.prisma.accessToken.upsert({
      where: { id: BOOTSTRAP_ID },
      create: { id: BOOTSTRAP_ID, name: BOOTSTRAP_NAME, role: "instructor", tokenHash },
      update: { tokenHash, role: "instructor", revokedAt: null },
    });
    return { kind: "generated", token };
  }
}

function info(row: { id: string; name: string; role: string; createdAt: Date; createdById: string | null }): TokenInfo {
  return { id: row.id, name: row.name, role: row.role as Role, createdAt: row.createdAt, createdById: row.createdById };
}
